"""dp-analytics on the other cohort loaders, and the datasets commands."""

from __future__ import annotations

import json

import pytest

from phibench.cli import main
from tests.conftest import require_shared


def _run(capsys, tmp_path, *args: str) -> tuple[int, dict, dict]:
    code = main(
        ["run", "dp-analytics", "--trials", "2", "--epsilons", "1", "--out",
         str(tmp_path / "runs"), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}",
         "--format", "json", *args]
    )  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    run_dir = tmp_path / "runs" / payload["run_dir"].rsplit("/", 1)[-1]
    params = json.loads((run_dir / "params.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return code, params, metrics


def test_eicu_demo_hospitals_are_the_sites(tmp_path, capsys):
    folder = require_shared("eicu-demo-2.0.1")
    code, params, metrics = _run(
        capsys, tmp_path, "--dataset", "eicu-demo", "--data-dir", str(folder)
    )
    failed = any(c["outcome"] == "fail" for c in metrics["criteria"])
    assert code == (1 if failed else 0)
    assert metrics["cohort"] == {"n_admissions": 2145, "n_patients": 1817}
    assert metrics["queries"]["n_deaths"]["true"] == 181
    assert params["dataset"]["version"] == "2.0.1"
    assert params["dataset"]["data_use"]["restricted"] is False


def test_synthea_export_runs(tmp_path, capsys):
    folder = require_shared("synthea-small-59")
    code, _, metrics = _run(
        capsys, tmp_path, "--dataset", "synthea", "--data-dir", str(folder)
    )
    assert code == 0
    assert metrics["cohort"] == {"n_admissions": 94, "n_patients": 17}


def test_user_table_is_restricted_unless_declared_open(tmp_path, capsys):
    table = tmp_path / "extract.csv"
    rows = ["pid,died,age,adm,los,t"] + [
        f"{i % 40},{int(i % 9 == 0)},{30 + i % 50},EMERGENCY,{1 + i % 7},2021-01-01"
        for i in range(120)
    ]
    table.write_text("\n".join(rows) + "\n")
    (tmp_path / "extract.csv.roles.yaml").write_text(
        "patient_id: pid\noutcome: died\ncolumns:\n  age: age\n"
        "  admission_type: adm\n  los_days: los\n  admit_time: t\n"
        "defaults:\n  icu_stay: false\n"
    )
    code, params, metrics = _run(capsys, tmp_path, "--dataset", f"csv:{table}")
    assert code == 0
    assert metrics["cohort"] == {"n_admissions": 120, "n_patients": 40}
    assert params["dataset"]["data_use"]["restricted"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "meddocan"], "no cohort-table loader"),
        (["--dataset", "eicu-dem"], "csv:PATH"),
        (["--dataset", "csv:/nonexistent/x.csv"], "/nonexistent/x.csv"),
    ],
)
def test_datasets_that_cannot_make_a_cohort_are_refused(
    tmp_path, capsys, args, message
):
    code = main(["run", "dp-analytics", *args, "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not (tmp_path / "r").exists()


def test_datasets_commands(capsys):
    assert main(["datasets", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) >= 34
    demo = require_shared("mimic-iv-demo-2.2")
    code = main(["datasets", "check", "mimic-iv-demo", "--data-dir", str(demo)])
    out = capsys.readouterr().out
    assert code == 1 and "icu/chartevents.csv.gz" in out


def test_folder_of_another_dataset_is_named(tmp_path, capsys):
    eicu = require_shared("eicu-demo-2.0.1")
    code = main(
        ["run", "dp-analytics", "--dataset", "mimic-iv-demo", "--data-dir",
         str(eicu), "--out", str(tmp_path / "r")]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "this folder looks like eicu-crd or eicu-demo" in err[0]


def test_roles_file_bounds_replace_the_default_bounds(tmp_path, capsys):
    table = tmp_path / "extract.csv"
    rows = ["pid,died,age,los,t"] + [
        f"{i},{int(i % 9 == 0)},{30 + i % 50},{1 + i % 7},2021-01-01" for i in range(60)
    ]
    table.write_text("\n".join(rows) + "\n")
    (tmp_path / "extract.csv.roles.yaml").write_text(
        "patient_id: pid\noutcome: died\ncolumns:\n  age: age\n  los_days: los\n"
        "  admit_time: t\ndefaults:\n  icu_stay: false\n  admission_type: URGENT\n"
        "bounds:\n  age: [0, 120]\ndata_use: open\n"
    )
    _, params, _ = _run(capsys, tmp_path, "--dataset", f"csv:{table}")
    assert params["queries"]["mean_age"]["bounds"] == [0.0, 120.0]
    assert params["queries"]["median_age"]["bounds"] == [0.0, 120.0]
    assert params["queries"]["mean_los_days"]["bounds"] == [0.0, 60.0]  # default
    assert params["dataset"]["data_use"]["restricted"] is False


def test_demo_id_on_a_folder_without_the_demo_marker_is_refused(tmp_path, capsys):
    import shutil

    demo = require_shared("mimic-iv-demo-2.2")
    full = tmp_path / "mimic"  # the demo's tables without its subject list
    shutil.copytree(demo / "hosp", full / "hosp")
    shutil.copytree(demo / "icu", full / "icu")
    code = main(
        ["run", "dp-analytics", "--dataset", "mimic-iv-demo", "--data-dir",
         str(full), "--out", str(tmp_path / "r")]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "lacks demo_subject_id.csv" in err[0] and "it is not mimic-iv-demo" in err[0]
