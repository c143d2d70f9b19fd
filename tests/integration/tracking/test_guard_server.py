"""The guard in front of a real MLflow server whose artifact store is remote."""

from __future__ import annotations

import pytest

from phibench.tracking import log_run, start_local_server
from phibench.tracking.guard import DataUseError, DataUseTerms, check_artifacts

REMOTE_STORE = "s3://phibench-declared-remote/artifacts"  # declared, never contacted


@pytest.mark.server
def test_rows_of_restricted_data_are_refused_for_a_remote_artifact_store(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "synthetic_rows.csv").write_text("age,sex\n70,F\n")
    backend = f"sqlite:///{tmp_path / 'server.db'}"
    with start_local_server(
        backend_store_uri=backend, artifacts_dir=tmp_path / "served"
    ) as uri:
        import mlflow

        client = mlflow.MlflowClient(tracking_uri=uri)
        client.create_experiment("guarded", artifact_location=REMOTE_STORE)

        with pytest.raises(DataUseError, match="'mimic-iv' forbids row-level"):
            log_run(
                tracking_uri=uri,
                experiment="guarded",
                run_name="restricted",
                params={},
                metrics={"n": 1.0},
                artifacts_dir=tmp_path / "out",
                tags={},
                data_use=DataUseTerms("mimic-iv", "forbidden"),
                row_level_artifacts=["synthetic_rows.csv"],
            )
        experiment = client.get_experiment_by_name("guarded")
        assert client.search_runs([experiment.experiment_id]) == []  # nothing sent

        # The same rows of open data pass the guard. (Uploading them would
        # contact the declared store, which is off this machine, so only the
        # decision is exercised.)
        check_artifacts(
            DataUseTerms("synthea", "allowed"),
            artifact_uri=experiment.artifact_location,
            row_level=["synthetic_rows.csv"],
        )
