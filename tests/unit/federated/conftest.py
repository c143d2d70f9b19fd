"""Unit tests of the federated package need its extra (Flower, PyTorch)."""

import pytest

pytest.importorskip("flwr", reason="needs the 'federated' extra")
pytest.importorskip("torch", reason="needs the 'federated' extra")
