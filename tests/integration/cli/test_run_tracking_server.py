"""A dp-analytics run recorded in a real MLflow server started on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from phibench.cli import main
from phibench.tracking import start_local_server


@pytest.mark.server
def test_run_is_recorded_on_a_local_tracking_server(tmp_path, capsys):
    backend = f"sqlite:///{tmp_path / 'server.db'}"
    with start_local_server(
        backend_store_uri=backend, artifacts_dir=tmp_path / "artifacts"
    ) as uri:
        code = main(
            ["run", "dp-analytics", "--n-admissions", "800", "--trials", "2",
             "--epsilons", "1", "--out", str(tmp_path / "runs"),
             "--tracking-uri", uri, "--format", "json"]
        )  # fmt: skip
        payload = json.loads(capsys.readouterr().out)
        assert code in (0, 1) and payload["tracking_uri"] == uri

        import mlflow

        client = mlflow.MlflowClient(tracking_uri=uri)
        run = client.get_run(payload["mlflow_run_id"])
        assert run.data.tags["dataset"] == "embedded"
        assert run.data.params["privacy.privacy_unit"] == "patient"
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert "metrics.json" in artifacts
