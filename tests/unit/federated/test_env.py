"""Flower's switches and the missing-extra message."""

from __future__ import annotations

import importlib.util
import os

import pytest

from phibench.errors import InputError
from phibench.federated import env


def test_missing_extra_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "flwr" else real(name, *a),
    )
    with pytest.raises(InputError, match=r"uv sync --extra federated.*missing: flwr"):
        env.require_extra()


def test_flower_is_offline_and_keeps_out_of_the_home_folder(monkeypatch, tmp_path):
    for name in [*env.FLOWER_ENV_DEFAULTS, "FLWR_HOME"]:
        monkeypatch.delenv(name, raising=False)
    home = env.configure_flower(tmp_path / "flwr")
    assert home == tmp_path / "flwr" and home.is_dir()
    assert os.environ["FLWR_TELEMETRY_ENABLED"] == "0"
    assert os.environ["FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION"] == "1"
    assert os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] == "0"


def test_without_a_home_nothing_is_made(monkeypatch, tmp_path):
    """Importing Flower writes nothing, so a process that only imports it (the
    benchmark's own) sets the switches and makes no folder."""
    monkeypatch.delenv("FLWR_HOME", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert env.configure_flower() is None
    assert "FLWR_HOME" not in os.environ
    assert list(tmp_path.iterdir()) == []


def test_a_users_own_setting_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("FLWR_HOME", str(tmp_path / "mine"))
    assert env.configure_flower(tmp_path / "other") == tmp_path / "mine"
