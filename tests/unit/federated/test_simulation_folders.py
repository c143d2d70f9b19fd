"""Where the simulation process keeps Ray's temporary folder."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from phibench.federated.simulation import RAY_FOLDER_MAX_BYTES, ray_folder


def test_ray_folder_is_inside_a_short_work_folder():
    work = Path("/tmp/phibench-fl-abcdefgh")
    assert ray_folder(work) == work / "ray"
    assert len(str(work / "ray")) <= RAY_FOLDER_MAX_BYTES


def test_a_long_tmpdir_moves_only_rays_folder_to_a_private_one_in_tmp(tmp_path):
    work = tmp_path / ("long-" * 12) / "phibench-fl-abcdefgh"
    chosen = ray_folder(work)
    try:
        assert chosen.parent == Path("/tmp")
        assert chosen.name.startswith("phibench-ray-")
        assert stat.S_IMODE(chosen.stat().st_mode) == 0o700
        # Ray adds a session folder (about 42 bytes) and a socket name (21)
        session = "session_2026-12-04_21-21-59_684412_4194304"
        socket = chosen / session / "sockets" / "plasma_store"
        assert len(str(socket)) <= 107
    finally:
        shutil.rmtree(chosen)
