"""`phibench run dp-analytics` end to end: files, MLflow, exit codes, bad input."""

from __future__ import annotations

import json
import socket

import pytest

from phibench.cli import main
from tests.conftest import require_shared


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["run", "dp-analytics", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("phibench: error: ")
    return lines[0]


def test_embedded_run_writes_a_complete_run_folder_and_mlflow_run(tmp_path, capsys):
    store = tmp_path / "mlflow.db"
    code, out, _ = _run(
        capsys, "--n-admissions", "3000", "--trials", "3", "--epsilons", "1,5",
        "--out", str(tmp_path / "runs"), "--tracking-uri", f"sqlite:///{store}",
        "--format", "json", "--seed", "11",
    )  # fmt: skip
    payload = json.loads(out)
    assert code == (0 if payload["passed"] else 1)

    run_dir = tmp_path / "runs" / payload["run_dir"].split("/")[-1]
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "metrics.json", "params.json", "privacy_utility.png", "run.log",
    ]  # fmt: skip
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]

    params = json.loads((run_dir / "params.json").read_text())
    assert (
        params["seeds"]["root_seed"] == 11 and len(params["seeds"]["trial_seeds"]) == 3
    )
    assert params["privacy"]["contribution_cap"] == 5
    assert params["privacy"]["epsilons_total"] == [1.0, 5.0]
    assert params["queries"]["mean_age"]["bounds"] == [18.0, 91.0]
    assert params["library_versions"]["opendp"] == "0.16.0"

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["cohort"]["n_admissions"] == 3000
    for eps in ("1", "5"):
        assert metrics["privacy"][eps]["epsilon_spent"] <= float(eps)
    ids = {c["id"] for c in metrics["criteria"]}
    assert "mean-age-eps1" in ids

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{store}")
    run = client.get_run(payload["mlflow_run_id"])
    assert run.data.params["privacy.contribution_cap"] == "5"
    assert "mean_age.eps_1.rel_error_median" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"params.json", "metrics.json", "privacy_utility.png"} <= names


def test_mimic_demo_run_has_the_demo_counts(tmp_path, capsys):
    demo = require_shared("mimic-iv-demo-2.2")
    code, out, _ = _run(
        capsys, "--dataset", "mimic-iv-demo", "--data-dir", str(demo), "--trials",
        "2", "--epsilons", "1", "--out", str(tmp_path), "--tracking-uri",
        f"sqlite:///{tmp_path / 'm.db'}", "--format", "json",
    )  # fmt: skip
    payload = json.loads(out)
    assert code == 0, payload  # every criterion needs more patients or trials
    assert {c["outcome"] for c in payload["criteria"]} == {"not_applicable"}

    run_dir = next(p for p in tmp_path.iterdir() if p.name.startswith("dp-analytics"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["cohort"] == {"n_admissions": 275, "n_patients": 100}
    assert metrics["queries"]["n_admissions"]["true"] == 275
    assert metrics["queries"]["n_deaths"]["true"] == 15
    params = json.loads((run_dir / "params.json").read_text())
    assert params["dataset"]["id"] == "mimic-iv-demo"
    assert params["dataset"]["version"] == "2.2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "mimic-iv-dem"], "did you mean mimic-iv-demo"),
        (["--epsilons", "0,1"], "epsilon 0 is not allowed"),
        (["--epsilons", "nan"], "must be a finite number > 0"),
        (["--epsilons", "inf"], "must be a finite number > 0"),
        (["--epsilons", "1,a"], "'a' is not a number"),
        (["--trials", "0"], "trials=0"),
        (["--contribution-cap", "0"], "contribution_cap=0"),
        (["--delta", "1.5"], "delta=1.5"),
        (["--dataset", "mimic-iv-demo"], "needs --data-dir"),
        (["--dataset", "mimic-iv", "--data-dir", "/nonexistent/mimic"], "/nonexistent"),
        (["--n-admissions", "0"], "n_admissions"),
        (["--seed", "-1"], "--seed -1: must be an integer >= 0"),
        (["--epsilons", ""], "'' is not a number"),
        (["--tracking-uri", ""], "--tracking-uri is empty"),
        (["--tracking-uri", "foo://bar"], "scheme 'foo' is not supported"),
        (["--tracking-uri", "sqlite:////nonexistent-dir/x.db"], "does not exist"),
        (["--trials", "x"], "invalid int value: 'x'"),
        (["--format", "xml"], "invalid choice: 'xml'"),
        (
            ["--dataset", "mimic-iv", "--data-dir", "/tmp", "--n-admissions", "9"],
            "--n-admissions applies to --dataset embedded only",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path, capsys, args, message
):
    out_dir = tmp_path / "runs"
    if "--tracking-uri" not in args:
        args = [*args, "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"]
    try:
        code, _, err = _run(capsys, *args, "--out", str(out_dir))
    except SystemExit as exit_:  # argparse refuses before main() returns
        code, err = exit_.code, capsys.readouterr().err
    assert code == 2
    assert message in _one_error_line(err)
    assert not out_dir.exists()


def test_unreachable_tracking_server_is_refused_before_the_run(tmp_path, capsys):
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = _run(
        capsys, "--out", str(tmp_path / "runs"), "--tracking-uri",
        f"http://127.0.0.1:{port}",
    )  # fmt: skip
    assert code == 2
    assert "unreachable" in _one_error_line(err)
    assert not (tmp_path / "runs").exists()


def test_tracking_failure_after_the_run_keeps_the_results(
    tmp_path, capsys, monkeypatch
):
    from phibench.runner import dp_analytics_job
    from phibench.tracking import TrackingError

    def refuse(**_):
        raise TrackingError("MLflow tracking at sqlite:///x failed: disk full")

    monkeypatch.setattr(dp_analytics_job, "log_run", refuse)
    code, _, err = _run(
        capsys, "--n-admissions", "500", "--trials", "1", "--epsilons", "1",
        "--out", str(tmp_path), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}",
    )  # fmt: skip
    assert code == 2
    assert "results are in" in _one_error_line(err)
    assert [p.name.split("_")[0] for p in tmp_path.iterdir()] == ["dp-analytics"]


def test_benchmarks_list_and_spec_commands(tmp_path, capsys):
    assert main(["benchmarks", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["id"] == "dp-analytics" and listed[0]["data_type"] == "structured"

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n")
    assert main(["spec", "validate", str(bad)]) == 2
    assert "not valid YAML" in _one_error_line(capsys.readouterr().err)

    assert main(["spec", "show", "dp-analytics"]) == 0
    assert "## Pass/fail criteria" in capsys.readouterr().out
