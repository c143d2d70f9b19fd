"""The run folder appears whole or not at all."""

from __future__ import annotations

import json

import pytest

from phibench.errors import InputError
from phibench.runner.rundir import prepare_out_dir, staged_run_dir, write_json
from phibench.runner.seeds import SeedPlan


def test_success_moves_the_folder_into_place(tmp_path):
    with staged_run_dir(tmp_path, "run1") as partial:
        write_json(partial / "metrics.json", {"x": float("nan"), "y": [1.0]})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run1"]
    assert json.loads((tmp_path / "run1" / "metrics.json").read_text()) == {
        "x": None,
        "y": [1.0],
    }


def test_failure_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError), staged_run_dir(tmp_path, "run1") as partial:
        (partial / "params.json").write_text("{}")
        raise RuntimeError("killed half way")
    assert list(tmp_path.iterdir()) == []


def test_existing_run_folder_is_never_overwritten(tmp_path):
    (tmp_path / "run1").mkdir()
    with (
        pytest.raises(InputError, match="already exists"),
        staged_run_dir(tmp_path, "run1"),
    ):
        pass


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(InputError, match="is not a folder"):
        prepare_out_dir(target)


def test_seed_plan_is_a_function_of_the_root_seed():
    first, again = SeedPlan.from_root(7, n_trials=3), SeedPlan.from_root(7, n_trials=3)
    assert first == again and len(set(first.trial_seeds)) == 3
    assert SeedPlan.from_root(8, n_trials=3).data_seed != first.data_seed
