"""Where the simulation process keeps Ray's temporary folder."""

from __future__ import annotations

import shutil
import stat
import tempfile
from pathlib import Path

from phibench.federated.simulation import RAY_FOLDER_MAX_BYTES, ray_folder


def test_ray_folder_is_inside_a_short_work_folder():
    work = Path("/tmp/phibench-fl-abcdefgh")
    outside = Path("/tmp/phibench-ray-abcdefgh")
    assert ray_folder(work, outside) == work / "ray"
    assert not outside.exists()
    assert len(str(work / "ray")) <= RAY_FOLDER_MAX_BYTES


def test_a_long_tmpdir_moves_only_rays_folder_to_a_private_one_in_tmp(tmp_path):
    work = tmp_path / ("long-" * 12) / "phibench-fl-abcdefgh"
    outside = Path(tempfile.mkdtemp(prefix="pbt-", dir="/tmp")) / "phibench-ray-ab"
    chosen = ray_folder(work, outside)
    try:
        assert chosen == outside
        assert stat.S_IMODE(chosen.stat().st_mode) == 0o700
        # Ray adds a session folder (about 42 bytes) and a socket name (21)
        session = "session_2026-12-04_21-21-59_684412_4194304"
        socket = chosen / session / "sockets" / "plasma_store"
        assert len(str(socket)) <= 107
    finally:
        shutil.rmtree(outside.parent)


def test_a_ctrl_c_while_the_folders_are_removed_waits_until_they_are_gone(
    monkeypatch,
):
    """A tester's Ctrl-C, sent as phibench started removing the work folder,
    left sites' rows behind; so did a second Ctrl-C."""
    import signal

    import polars as pl
    import pytest

    from phibench.federated import simulation

    made: list[Path] = []

    def child_that_wrote_rows(cohort, plan, folders):
        work, outside = folders
        for site in ("site-001", "site-002"):
            (work / "sites" / site).mkdir(parents=True)
            (work / "sites" / site / "cohort.parquet").write_bytes(b"rows")
        outside.mkdir()
        made.extend(folders)
        return []

    remove = shutil.rmtree

    def interrupted_removal(path, **kwargs):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        remove(path, **kwargs)

    monkeypatch.setattr(simulation, "_run_child", child_that_wrote_rows)
    monkeypatch.setattr(simulation.shutil, "rmtree", interrupted_removal)
    with pytest.raises(KeyboardInterrupt):
        simulation.simulate(pl.DataFrame(), [], evaluate=None)
    assert len(made) == 2
    assert not [folder for folder in made if folder.exists()]
