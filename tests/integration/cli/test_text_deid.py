"""`phibench run text-deid` end to end: files, no PHI in logs, MLflow, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from phibench.cli import main
from phibench.runner.text_deid_job import TextSeeds
from tests.conftest import require_shared


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["run", "text-deid", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _common(tmp_path: Path) -> list[str]:
    return [
        "--out", str(tmp_path / "runs"),
        "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}",
        "--n-boot", "20", "--format", "json",
    ]  # fmt: skip


def _run_dir(tmp_path: Path, payload: dict) -> Path:
    return tmp_path / "runs" / Path(payload["run_dir"]).name


@pytest.mark.slow
def test_embedded_run_scores_each_system_and_leaks_no_phi(tmp_path, capsys):
    code, out, _ = _run(
        capsys, "--systems", "rules,crf", "--n-notes", "10",
        "--n-training-notes", "10", "--seed", "5", *_common(tmp_path),
    )  # fmt: skip
    payload = json.loads(out)
    assert code == (0 if payload["passed"] else 1)
    run_dir = _run_dir(tmp_path, payload)
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "deidentified", "metrics.json", "params.json", "recall_per_category.png",
        "results.csv", "results.md", "run.log",
    ]  # fmt: skip

    params = json.loads((run_dir / "params.json").read_text())
    seeds = TextSeeds.from_root(5)
    assert params["seeds"]["root_seed"] == 5
    assert params["seeds"]["data_seed"] == seeds.data
    assert params["systems"] == ["rules", "crf"]
    assert params["system_settings"]["crf"]["n_training_notes"] == 10
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["corpus"]["n_notes"] == 10
    assert set(metrics["systems"]) == {"rules", "crf"}
    assert metrics["best_system"] in {"rules", "crf"}
    for system in metrics["systems"].values():
        assert set(system["views"]["views"]) >= {"strict_binary", "token_subtype"}
        assert set(system["i2b2_2014"]) >= {"strict", "relaxed", "hipaa_strict"}
        assert system["leaks"]["total"]["n_gold"] == metrics["corpus"]["n_gold_spans"]
    assert len(list((run_dir / "deidentified").glob("*.txt"))) == 10

    _assert_no_phi(run_dir, seeds.data, n_notes=10)
    _assert_mlflow_has_aggregates_only(tmp_path, payload["mlflow_run_id"])


def _assert_no_phi(run_dir: Path, data_seed: int, *, n_notes: int) -> None:
    from phibench.text.corpora import load_corpus

    corpus = load_corpus("embedded", None, n_notes=n_notes, seed=data_seed)
    surfaces = {s.surface for d in corpus for s in d.spans if len(s.surface) >= 5}
    assert surfaces
    for name in ("metrics.json", "params.json", "run.log", "results.csv"):
        text = (run_dir / name).read_text()
        leaked = [s for s in surfaces if s in text]
        assert not leaked, f"{name} holds {len(leaked)} gold PHI surfaces"


def _assert_mlflow_has_aggregates_only(tmp_path: Path, run_id: str) -> None:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.get_run(run_id)
    assert "crf.token_binary_recall" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run_id)}
    assert names == {
        "params.json", "metrics.json", "results.csv", "results.md",
        "recall_per_category.png",
    }  # fmt: skip


@pytest.mark.slow
def test_physionet_sample_scores_the_test_part_and_writes_leaks(tmp_path, capsys):
    folder = require_shared("physionet-deid-nursing-notes")
    code, out, _ = _run(
        capsys, "--corpus", "physionet-deid", "--data-dir", str(folder),
        "--n-notes", "80", "--systems", "rules", "--show-leaks",
        *_common(tmp_path),
    )  # fmt: skip
    payload = json.loads(out)
    assert code == (0 if payload["passed"] else 1)
    run_dir = _run_dir(tmp_path, payload)
    metrics = json.loads((run_dir / "metrics.json").read_text())

    test, predictions = _expected_test_part(folder, n_notes=80)
    assert metrics["corpus"]["n_notes"] == len(test)
    assert metrics["corpus"]["n_gold_spans"] == test.n_spans
    from phibench.text.scoring import evaluate

    expected = evaluate(test, predictions, n_boot=20, seed=1)["views"]
    rules = metrics["systems"]["rules"]
    assert rules["headline"]["token_binary_recall"] == pytest.approx(
        expected["token_binary"]["micro"]["recall"]
    )
    written = sorted(p.name for p in (run_dir / "deidentified").iterdir())
    assert "id.text" in written  # the input's own format
    leak_lines = (run_dir / "leaks" / "rules.tsv").read_text().splitlines()
    leaks = rules["leaks"]["total"]
    assert len(leak_lines) - 1 == leaks["untouched"] + leaks["partial"]
    # surviving PHI text is readable by its owner only
    assert (run_dir / "leaks").stat().st_mode & 0o777 == 0o700
    assert (run_dir / "leaks" / "rules.tsv").stat().st_mode & 0o777 == 0o600


def _expected_test_part(folder: Path, *, n_notes: int):
    from phibench.text.corpora import load_corpus
    from phibench.text.splits import split_by_patient
    from phibench.text.systems import make_system

    corpus = load_corpus(
        "physionet-deid", folder, n_notes=n_notes, seed=TextSeeds.from_root(1).data
    )
    _, test = split_by_patient(corpus)
    rules = make_system("rules")
    return test, {doc.note_id: rules.predict(doc.text) for doc in test}


@pytest.mark.slow
def test_brat_folder_of_meddocan_runs(tmp_path, capsys):
    folder = require_shared("meddocan") / "corpus" / "dev" / "brat"
    code, out, _ = _run(
        capsys, "--corpus", "brat", "--data-dir", str(folder), "--n-notes", "12",
        "--systems", "rules", *_common(tmp_path),
    )  # fmt: skip
    payload = json.loads(out)
    assert code in (0, 1)
    params = json.loads((_run_dir(tmp_path, payload) / "params.json").read_text())
    assert params["corpus"]["id"] == "brat"
    assert params["corpus"]["data_use"]["restricted"] is True  # format: unknown terms
    metrics = json.loads((_run_dir(tmp_path, payload) / "metrics.json").read_text())
    assert metrics["corpus"]["n_notes"] + params["n_training_notes"] - 200 == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--systems", "rules,deid-pl"], "unknown system 'deid-pl'"),
        (["--corpus", "mimic-notes"], "--corpus mimic-notes: not a text dataset id"),
        (["--corpus", "brat", "--data-dir", "/nonexistent/x"], "no such folder"),
        (["--systems", "hf:/nonexistent/model"], "no such folder"),
        (["--seed", "-1"], "--seed -1: must be an integer >= 0"),
        (["--surrogates-from", "presidio", "--systems", "rules"], "not among"),
        (["--corpus", "physionet-deid"], "needs --data-dir"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out_dir = tmp_path / "runs"
    code, _, err = _run(capsys, *args, "--out", str(out_dir))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("phibench: error: ")
    assert message in lines[0]
    assert not out_dir.exists()


def test_hf_folder_without_a_model_is_refused(tmp_path, capsys):
    (tmp_path / "model").mkdir()
    code, _, err = _run(
        capsys, "--systems", f"hf:{tmp_path / 'model'}", "--out", str(tmp_path / "r")
    )
    assert code == 2
    assert "has no config.json" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_local_hugging_face_model_is_one_more_row(tmp_path, capsys):
    pytest.importorskip("transformers")
    from tests.unit.text.systems.test_hf import _tiny_model

    model = tmp_path / "tiny-model"
    _tiny_model(model, "B-DATE")  # tags every word DATE
    code, out, _ = _run(
        capsys, "--systems", f"rules,hf:{model}", "--n-notes", "4",
        *_common(tmp_path),
    )  # fmt: skip
    payload = json.loads(out)
    assert code == (0 if payload["passed"] else 1)
    metrics = json.loads((_run_dir(tmp_path, payload) / "metrics.json").read_text())
    row = metrics["systems"][f"hf:{model}"]["headline"]
    # Every word is marked, so every gold token is found; precision is low.
    assert row["token_binary_recall"] == pytest.approx(1.0)
    assert row["token_binary_precision"] < 0.5
    assert f"hf-{model.name}.token_binary_recall" in _mlflow_metrics(tmp_path, payload)


def _mlflow_metrics(tmp_path: Path, payload: dict) -> dict:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    return client.get_run(payload["mlflow_run_id"]).data.metrics
