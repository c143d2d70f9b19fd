"""`datasets check` on hand-made folders and on every folder of ../shared/data.

The shared-data tests state what each folder's PROVENANCE.md says it holds; they
skip (with the path) when the folder is absent. PHIBENCH_SHARED_DATA overrides
the location.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from phibench.data.access import check, identify, parse_checksum_lines, sha256_of
from phibench.data.registry import get
from phibench.errors import DataLayoutError, InputError
from tests.conftest import require_shared, run_cli, shared_data_dir


def _fake_release(folder: Path, dataset_id: str = "mimic-iv-demo") -> Path:
    """Every layout file of the dataset as a tiny gzip file, plus SHA256SUMS.txt."""
    entry = get(dataset_id)
    lines = []
    for index, rel in enumerate(entry.layout):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"col\n{index}\n".encode()
        path.write_bytes(gzip.compress(body, mtime=0) if rel.endswith(".gz") else body)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {rel}")
    if entry.checksums:
        (folder / entry.checksums).write_text("\n".join(lines) + "\n")
    return folder


# --- hand-made folders -------------------------------------------------------------


def test_complete_release_with_matching_checksums_is_ok(tmp_path):
    report = check(get("mimic-iv-demo"), _fake_release(tmp_path))
    assert report.status == "ok"
    assert report.exit_code == 0
    assert report.missing == ()
    assert report.checksums.n_verified == report.checksums.n_listed == 32
    assert report.summary == (
        "mimic-iv-demo: all 32 expected files present; 32 of 32 files listed in "
        "SHA256SUMS.txt verified"
    )


def test_changed_file_fails_its_checksum(tmp_path):
    folder = _fake_release(tmp_path)
    (folder / "hosp" / "patients.csv.gz").write_bytes(gzip.compress(b"other\n"))
    report = check(get("mimic-iv-demo"), folder)
    assert report.status == "incomplete"
    assert report.exit_code == 1
    assert report.checksums.mismatched == ("hosp/patients.csv.gz",)
    assert "checksum differs from SHA256SUMS.txt: hosp/patients.csv.gz" in (
        report.summary
    )


def test_missing_and_extra_listed_files_and_access_steps(tmp_path):
    folder = _fake_release(tmp_path)
    (folder / "icu" / "chartevents.csv.gz").unlink()
    with (folder / "SHA256SUMS.txt").open("a") as sums:
        sums.write(f"{'0' * 64}  README.txt\n")
    report = check(get("mimic-iv-demo"), folder)
    assert report.missing == ("icu/chartevents.csv.gz",)
    assert report.checksums.absent == ("icu/chartevents.csv.gz", "README.txt")
    assert report.summary.startswith(
        "mimic-iv-demo: 1 of 32 expected files missing (icu/chartevents.csv.gz); "
        "listed in SHA256SUMS.txt but absent: README.txt; 31 of 33 files listed"
    )
    assert report.summary.endswith(
        "— to get them: " + get("mimic-iv-demo").access_steps[0]
    )


def test_decompressed_files_count_as_present_but_unverified(tmp_path):
    folder = _fake_release(tmp_path)
    packed = folder / "hosp" / "admissions.csv.gz"
    (folder / "hosp" / "admissions.csv").write_bytes(
        gzip.decompress(packed.read_bytes())
    )
    packed.unlink()
    report = check(get("mimic-iv-demo"), folder)
    assert report.status == "ok"
    assert "hosp/admissions.csv" in report.present
    assert report.checksums.unverifiable == ("hosp/admissions.csv.gz",)
    assert "1 files are present only decompressed" in report.notes[0]


def test_gz_file_that_is_not_gzip(tmp_path):
    folder = _fake_release(tmp_path, "eicu-demo")
    (folder / "patient.csv.gz").write_text("<html>login required</html>")
    report = check(get("eicu-demo"), folder)
    assert report.status == "incomplete"
    assert report.not_gzip == ("patient.csv.gz",)
    assert "not gzip despite the .gz name: patient.csv.gz" in report.summary


def test_checksum_file_absent_or_skipped_is_a_note_not_a_failure(tmp_path):
    folder = _fake_release(tmp_path)
    skipped = check(get("mimic-iv-demo"), folder, verify_checksums=False)
    assert skipped.status == "ok"
    assert skipped.notes == ("checksums not verified (skipped on request)",)

    (folder / "SHA256SUMS.txt").unlink()
    report = check(get("mimic-iv-demo"), folder)
    assert report.status == "ok"
    assert report.checksums is None
    assert report.notes == ("SHA256SUMS.txt not found, so no checksum was verified",)


def test_checksum_lines_cannot_point_outside_the_folder():
    digest = "a" * 64
    listed, n_bad = parse_checksum_lines(
        [
            f"{digest}  hosp/a.csv.gz",
            f"{digest} *b.csv",
            f"{digest}  ../../etc/passwd",
            f"{digest}  /etc/passwd",
            "nothex  c.csv",
            "",
        ]
    )
    assert listed == {"hosp/a.csv.gz": digest, "b.csv": digest}
    assert n_bad == 3


def test_streaming_hash_equals_one_shot_hash(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 1000)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_of(path, chunk_size=1000) == expected


def test_empty_folder_lists_everything_as_missing(tmp_path):
    report = check(get("physionet-deid"), tmp_path)
    assert report.status == "incomplete"
    assert report.looks_like == ()
    assert report.summary.startswith(
        "physionet-deid: 4 of 4 expected files missing (id.text, id.deid, "
        "id-phi.phrase, shift.txt) — to get them: download the deid 1.1 package"
    )


def test_bad_folder_or_uncheckable_dataset_is_input_error(tmp_path):
    with pytest.raises(DataLayoutError) as caught:
        check(get("mimic-iv"), tmp_path / "absent")
    assert str(caught.value) == (
        f"--data-dir {tmp_path / 'absent'}: no such folder; give the folder that "
        "holds your copy of MIMIC-IV"
    )
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataLayoutError, match="is a file, not a folder"):
        check(get("mimic-iv"), tmp_path / "file")
    with pytest.raises(InputError, match="'i2b2-2014' has no file layout"):
        check(get("i2b2-2014"), tmp_path)


def test_cli_check_json_and_exit_codes(tmp_path, capsys):
    folder = _fake_release(tmp_path)
    argv = ["datasets", "check", "mimic-iv-demo", "--data-dir", str(folder)]
    code, out, _ = run_cli([*argv, "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["status"] == "ok"

    (folder / "hosp" / "omr.csv.gz").unlink()
    code, out, _ = run_cli(argv, capsys)
    assert code == 1
    assert "missing    hosp/omr.csv.gz" in out
    assert out.splitlines()[-1].startswith("mimic-iv-demo: 1 of 32 expected files")

    code, _, err = run_cli(
        ["datasets", "check", "mimic-iv", "--data-dir", "/nonexistent"], capsys
    )
    assert code == 2
    assert err.startswith("phibench: error: --data-dir /nonexistent: no such folder")


# --- the shared data folders -------------------------------------------------------

SHARED = {
    # folder: (dataset id, status, missing files)
    "mimic-iv-demo-2.2": ("mimic-iv-demo", "incomplete", ("icu/chartevents.csv.gz",)),
    "eicu-demo-2.0.1": (
        "eicu-demo",
        "incomplete",
        ("lab.csv.gz", "nurseCharting.csv.gz", "vitalPeriodic.csv.gz"),
    ),
    "synthea-sample-1k": (
        "synthea",
        "incomplete",
        (
            "encounters.csv",
            "medications.csv",
            "observations.csv",
            "procedures.csv",
            "supplies.csv",
        ),
    ),
    "synthea-small-59": ("synthea", "ok", ()),
    "physionet-deid-nursing-notes": ("physionet-deid", "ok", ()),
    "meddocan": ("meddocan", "incomplete", ("corpus/test/brat/", "corpus/test/xml/")),
}
IDENTIFIED = {
    "mimic-iv-demo-2.2": {"mimic-iv-demo", "mimic-iv"},
    "eicu-demo-2.0.1": {"eicu-demo", "eicu-crd"},
    "synthea-sample-1k": {"synthea", "synthea-sample-1k"},
    "synthea-small-59": {"synthea", "synthea-sample-1k"},
    "physionet-deid-nursing-notes": {"physionet-deid"},
    "meddocan": {"meddocan"},
}


def test_every_shared_folder_has_an_expectation():
    root = shared_data_dir()
    if not root.is_dir():
        pytest.skip(f"shared data folder {root} is absent (../shared not mounted)")
    folders = {path.name for path in root.iterdir() if path.is_dir()}
    assert folders == set(SHARED), "add the new folder's expected check result"


@pytest.mark.parametrize("folder", sorted(SHARED))
def test_shared_folder_check_is_true(folder):
    dataset_id, status, missing = SHARED[folder]
    report = check(get(dataset_id), require_shared(folder))
    assert report.status == status
    assert report.missing == missing
    assert report.not_gzip == ()


@pytest.mark.parametrize("folder", sorted(IDENTIFIED))
def test_shared_folder_is_identified(folder):
    matches = identify(require_shared(folder))
    assert {match.dataset_id for match in matches} == IDENTIFIED[folder]


def test_mimic_demo_checksums_verify_except_the_absent_chartevents():
    report = check(get("mimic-iv-demo"), require_shared("mimic-iv-demo-2.2"))
    sums = report.checksums
    assert (sums.n_listed, sums.n_verified) == (34, 33)
    assert sums.mismatched == ()
    assert sums.absent == ("icu/chartevents.csv.gz",)
    assert report.summary == (
        "mimic-iv-demo: 1 of 32 expected files missing (icu/chartevents.csv.gz); "
        "33 of 34 files listed in SHA256SUMS.txt verified — to get them: download "
        "the files from https://physionet.org/content/mimic-iv-demo/2.2/ (open "
        "access, no account needed)"
    )


def test_full_mimic_iv_checked_on_the_demo_says_it_is_the_demo():
    report = check(get("mimic-iv"), require_shared("mimic-iv-demo-2.2"))
    assert report.status == "incomplete"
    assert report.missing == ("icu/chartevents.csv.gz",)
    assert report.notes == (
        "the folder looks like mimic-iv-demo (demo_subject_id.csv present)",
    )


def test_eicu_summary_names_the_missing_tables_and_access():
    report = check(get("eicu-crd"), require_shared("eicu-demo-2.0.1"))
    assert report.summary.startswith(
        "eicu-crd: 3 of 31 expected files missing (lab.csv.gz, nurseCharting.csv.gz, "
        "vitalPeriodic.csv.gz) — to get them: create a PhysioNet account"
    )
    assert "CITI" in report.summary


def test_mimic_demo_pointed_at_the_eicu_folder_is_wrong_dataset(capsys):
    folder = require_shared("eicu-demo-2.0.1")
    report = check(get("mimic-iv-demo"), folder)
    assert report.status == "wrong_dataset"
    assert report.exit_code == 2
    assert [m.dataset_id for m in report.looks_like] == ["eicu-crd", "eicu-demo"]
    assert report.summary == (
        f"mimic-iv-demo: {folder} looks like eicu-crd or eicu-demo (28 of 31 of its "
        "files present), not mimic-iv-demo (0 of 32); point --data-dir at your "
        "MIMIC-IV Clinical Database Demo folder"
    )
    argv = ["datasets", "check", "mimic-iv-demo", "--data-dir", str(folder)]
    code, out, err = run_cli(argv, capsys)
    assert (code, out) == (2, "")
    assert err == f"phibench: error: {report.summary}\n"


def test_synthea_small_export_notes_the_optional_claims_transactions():
    report = check(get("synthea"), require_shared("synthea-small-59"))
    assert report.summary == "synthea: all 16 expected files present"
    assert report.notes == ("optional files absent: claims_transactions.csv",)


def test_an_unreadable_checksum_line_fails_the_check(tmp_path):
    from phibench.data import access

    (tmp_path / "a.csv").write_text("x\n")
    digest = hashlib.sha256(b"x\n").hexdigest()
    (tmp_path / "SUMS.txt").write_text(f"{digest}  a.csv\nnot-a-hash  b.csv\n")
    result = access.verify_checksum_file(tmp_path, "SUMS.txt")
    assert (result.n_verified, result.n_malformed) == (1, 1)
    problems = access._checksum_problems(result)
    assert problems == ["1 unreadable line in SUMS.txt (those files are unverified)"]
