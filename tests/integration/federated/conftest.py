"""Integration tests of the federated benchmark need its extra (Flower, Ray)."""

import pytest

pytest.importorskip("flwr", reason="needs the 'federated' extra")
pytest.importorskip("ray", reason="needs the 'federated' extra")
