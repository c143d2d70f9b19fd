"""`phibench run synthetic` end to end: files, metrics families, MLflow, bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import require_shared, run_cli

FAST = ["--repeats", "3", "--attacks", "20"]


def _run(tmp_path, capsys, *args: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(
        [
            "run",
            "synthetic",
            *args,
            "--out",
            str(tmp_path / "runs"),
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}",
            "--format",
            "json",
        ],
        capsys,
    )
    return code, (json.loads(out) if out.strip() else {}), err


@pytest.mark.slow
def test_embedded_run_writes_every_result_and_no_rows(tmp_path, capsys):
    code, payload, _ = _run(
        tmp_path,
        capsys,
        "--n-admissions",
        "300",
        "--generators",
        "gaussian_copula,baseline",
        "--seed",
        "7",
        *FAST,
    )
    assert code == 0, payload  # no MST in the run: every criterion is not applicable
    run_dir = tmp_path / "runs" / payload["run_dir"].split("/")[-1]
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "metrics.json",
        "params.json",
        "privacy_utility.png",
        "results.csv",
        "results.md",
        "run.log",
    ]
    params = json.loads((run_dir / "params.json").read_text())
    assert (
        params["seeds"]["root_seed"] == 7 and len(params["seeds"]["repeat_seeds"]) == 3
    )
    assert params["privacy"]["privacy_unit"] == "patient"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    copula = metrics["configurations"]["gaussian_copula"]
    assert len(copula["per_repeat"]) == 3
    one = copula["per_repeat"][0]
    assert set(one["privacy"]) == {
        "dcr_share",
        "dcr_baseline_protection",
        "mia_distance",
        "mia_density",
        "anonymeter",
    }
    assert set(one["privacy"]["anonymeter"]) >= {
        "singling_out",
        "linkability",
        "inference",
    }
    assert 0 <= copula["summary"]["tstr_auroc"]["mean"] <= 1
    assert copula["summary"]["tstr_auroc"]["n"] == 3
    header = (run_dir / "results.csv").read_text().splitlines()[0]
    assert "fit_s" in header and "peak_memory_mb" in header and "dcr_share" in header

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.get_run(payload["mlflow_run_id"])
    assert "gaussian_copula.tstr_auroc.mean" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert names == {
        "metrics.json",
        "params.json",
        "privacy_utility.png",
        "results.csv",
        "results.md",
        "run.log",
    }


@pytest.mark.slow
def test_mimic_demo_run_has_the_demo_counts(tmp_path, capsys):
    demo = require_shared("mimic-iv-demo-2.2")
    code, payload, _ = _run(
        tmp_path,
        capsys,
        "--dataset",
        "mimic-iv-demo",
        "--data-dir",
        str(demo),
        "--generators",
        "baseline",
        *FAST,
    )
    assert code == 0, payload
    run_dir = tmp_path / "runs" / payload["run_dir"].split("/")[-1]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {k: metrics["cohort"][k] for k in ("n_rows", "n_patients", "n_deaths")} == {
        "n_rows": 100,
        "n_patients": 100,
        "n_deaths": 5,
    }
    assert metrics["cohort"]["splits"][0] == {"n_train": 70, "n_holdout": 30}
    baseline = metrics["configurations"]["baseline"]["per_repeat"][0]
    assert 0 < baseline["fidelity"]["quality"]["per_column"]["lactate"] <= 1
    assert baseline["privacy"]["mia_distance"]["tpr_at_fpr_0.001"]["fpr_used"] > 0.001
    params = json.loads((run_dir / "params.json").read_text())
    assert params["dataset"]["version"] == "2.2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--generators", "gaussian_copula,gan"], "unknown generator 'gan'"),
        (["--epsilons", "0"], "epsilon 0 is not allowed"),
        (["--epsilons", "-1"], "epsilon -1 is not allowed"),
        (["--repeats", "0"], "repeats=0"),
        (["--rows", "1000000000000"], "rows in [1, 10,000,000]"),
        (
            ["--n-admissions", "30", "--generators", "ctgan"],
            "ctgan needs at least 50 training rows",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path, capsys, args, message
):
    code, _, err = _run(tmp_path, capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith("phibench: error: ")
    assert not (tmp_path / "runs").exists()


def test_a_table_with_only_identifier_columns_is_refused(tmp_path, capsys):
    table = tmp_path / "ids.csv"
    table.write_text("person,stay,died\n1,1,0\n2,2,1\n")
    (tmp_path / "ids.csv.roles.yaml").write_text(
        "patient_id: person\noutcome: died\nadmission_id: stay\n"
    )
    code, _, err = _run(tmp_path, capsys, "--dataset", f"csv:{table}")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "runs").exists()


def test_a_missing_extra_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sdv" else real(name, *a),
    )
    code, _, err = _run(tmp_path, capsys)
    assert code == 2 and "uv sync --extra synthetic" in err
    assert len(err.strip().splitlines()) == 1
