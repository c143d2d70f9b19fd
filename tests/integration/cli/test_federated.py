"""`phibench run federated` end to end: files, MLflow, exit codes, bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

# Imported at collection: importing Flower imports typer, which touches a click
# helper that click 8.3 deprecates; the warning belongs to those libraries.
pytest.importorskip("flwr", reason="needs the 'federated' extra")


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("phibench: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--strategy", "fedavg,fedsgd"], "unknown strategy 'fedsgd'; choose from"),
        (["--rounds", "0"], "--rounds 0: must be a whole number from 1 to 1000"),
        (["--rounds", "-3"], "--rounds -3: must be a whole number"),
        (["--model", "forest"], "--model 'forest': choose one of logreg, mlp"),
        (["--epsilons", "0"], "epsilon 0 is not allowed"),
        (
            ["--strategy", "fedavg", "--epsilons", "1"],
            "--epsilons 1: no DP strategy in --strategy 'fedavg' would use it",
        ),
        (["--skew", "5,abc"], "--skew '5,abc': give N_SITES,SITE_SIZE,ALPHA"),
        (
            ["--delta", "0.9999"],
            "--delta 0.9999: DP's privacy unit here is a site, and with 6 sites δ "
            "must be below 1/6; use a far smaller one, e.g. 1e-5",
        ),
        (
            ["--strategy", "fedavg", "--delta", "0.9"],
            "--delta 0.9: no DP strategy in --strategy 'fedavg' would use it",
        ),
        (["--skew", "4,300,0.5,9"], "--skew '4,300,0.5,9': give N_SITES,SITE_SIZE"),
        (["--skew", "4,300,inf"], "--skew '4,300,inf': N_SITES and SITE_SIZE must"),
        (["--skew", "4,300,nan"], "ALPHA a finite number above 0"),
        (["--skew", "4,300,0"], "ALPHA a finite number above 0"),
        (["--skew", "0,300,1"], "N_SITES and SITE_SIZE must be at least 1"),
        (
            ["--skew", "4,100,0.5"],
            "--skew '4,100,0.5': sites of 100 stays are below --min-site-size 200 "
            "and would be merged; give a SITE_SIZE of at least 200 or "
            "--min-site-size 100",
        ),
        (
            ["--cross-site-dataset", "mimic-iv-demo"],
            "cross-site cohort: --cross-site-dataset mimic-iv-demo needs "
            "--cross-site-data-dir PATH",
        ),
        (
            ["--cross-site-dataset", "embedded", "--cross-site-data-dir", "."],
            "--cross-site-data-dir is not used with --cross-site-dataset embedded",
        ),
        (["--cross-site-data-dir", "."], "--cross-site-data-dir needs --cross-site"),
        (
            ["--strategy", "fedavg,fedprox,fedavg"],
            "--strategy 'fedavg,fedprox,fedavg': 'fedavg' is given twice",
        ),
        (["--epsilons", "1,8,1"], "--epsilons '1,8,1': '1' is given twice"),
        (["--epsilons", "8,08"], "--epsilons '8,08': '08' is the same as '8'"),
        (
            ["--n-admissions", "40", "--min-site-size", "1"],
            "none in its test split, so it cannot be scored; raise "
            "--min-site-size (now 1, default 200)",
        ),
        (
            ["--n-admissions", "400", "--skew", "2,3,1", "--min-site-size", "1"],
            "site skew-01 has 3 admissions and none in its test split, so it "
            "cannot be scored; give --skew a SITE_SIZE above 3",
        ),
        (
            ["--clipping-norm", "1e308"],
            "--clipping-norm 1e+308: must be a finite number above 0 and below 10000",
        ),
    ],
)
def test_bad_flags_are_one_line_errors_and_write_nothing(
    tmp_path, capsys, flags, message
):
    out = tmp_path / "runs"
    code, _, err = run_cli(["run", "federated", "--out", str(out), *flags], capsys)
    assert code == 2
    assert message in _one_error_line(err)
    assert not out.exists()


def test_a_table_without_a_site_column_is_refused(tmp_path, capsys):
    table = tmp_path / "extract.csv"
    rows = ["pid,died,age,adm,los,t"] + [
        f"{i},{int(i % 9 == 0)},{30 + i % 50},EMERGENCY,{1 + i % 7},2021-01-01"
        for i in range(60)
    ]
    table.write_text("\n".join(rows) + "\n")
    (tmp_path / "extract.csv.roles.yaml").write_text(
        "patient_id: pid\noutcome: died\ncolumns:\n  age: age\n"
        "  admission_type: adm\n  los_days: los\n  admit_time: t\n"
        "defaults:\n  icu_stay: false\n"
    )
    out = tmp_path / "runs"
    code, _, err = run_cli(
        ["run", "federated", "--dataset", f"csv:{table}", "--out", str(out),
         "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "roles file names no site column" in _one_error_line(err)
    assert not any(out.iterdir()) if out.exists() else True


@pytest.mark.slow
@pytest.mark.filterwarnings(
    "ignore:unclosed file <_io.*name='/dev/null'.*:ResourceWarning"
)
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function Popen.__del__:"
    "pytest.PytestUnraisableExceptionWarning"
)
def test_embedded_run_writes_results_plots_and_mlflow(tmp_path, capsys):
    store = tmp_path / "mlflow.db"
    code, out, _ = run_cli(
        ["run", "federated", "--n-admissions", "2400", "--rounds", "2",
         "--repeats", "1", "--strategy", "fedavg,dp-fedavg-client",
         "--epsilons", "8", "--min-site-size", "50", "--out", str(tmp_path / "runs"),
         "--tracking-uri", f"sqlite:///{store}", "--format", "json", "--seed", "4"],
        capsys,
    )  # fmt: skip
    payload = json.loads(out)
    assert code == (0 if payload["passed"] else 1)
    assert payload["mlflow_run_id"]
    run_dir = tmp_path / "runs" / payload["run_dir"].split("/")[-1]
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "auroc_per_round.png", "metrics.json", "params.json", "per_site_auroc.png",
        "results.md", "run.log",
    ]  # fmt: skip

    metrics = json.loads((run_dir / "metrics.json").read_text())
    methods = metrics["methods"]
    assert list(methods) == ["pooled", "local-only", "fedavg", "dp-fedavg-client eps=8"]
    assert metrics["cohort"]["n_sites"] == 6
    for entry in methods.values():
        assert len(entry["per_site_auroc"]) == 6
        assert [c["round"] for c in entry["curve"]] == [0, 1, 2]
    dp = methods["dp-fedavg-client eps=8"]["privacy"]
    assert dp["epsilon_spent"] <= 8 and dp["epsilon_target"] == 8
    assert "site-level" in dp["privacy_unit"]
    assert sorted(metrics["leave_one_site_out"]) == [f"site-{c}" for c in "ABCDEF"]
    # 2 rounds x 6 sites x 3 messages x (29 weights + 1 bias) x 4 bytes
    assert methods["fedavg"]["bytes_communicated"] == 2 * 6 * 3 * 30 * 4

    params = json.loads((run_dir / "params.json").read_text())
    assert params["seeds"]["root"] == 4 and len(params["seeds"]["repeats"]) == 1
    assert params["dataset"]["id"] == "embedded"
    log = (run_dir / "run.log").read_text()
    assert "noise multiplier" in log
