"""How the simulation process's errors reach the user: one line each."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

from phibench.errors import RunFailure
from phibench.federated import simulation


def test_an_unexpected_error_is_one_line_naming_its_first_cause():
    try:
        try:
            raise RuntimeError("Timed out waiting for file gcs_server_port\nmore")
        except RuntimeError as inner:
            raise RuntimeError("Simulation Runtime crashed.") from inner
    except RuntimeError as outer:
        error = outer
    assert simulation.fault_summary(error) == (
        "Simulation Runtime crashed. (first cause: RuntimeError: Timed out "
        "waiting for file gcs_server_port)"
    )
    assert simulation.fault_summary(ValueError("x" * 400)) == "x" * 297 + "..."
    assert simulation.fault_summary(KeyError()) == ""


def test_an_unexpected_error_says_how_to_see_its_traceback():
    ours, theirs = multiprocessing.Pipe()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        theirs.send(("error", ("RuntimeError", "Simulation Runtime crashed.")))
        with pytest.raises(RunFailure) as raised:
            simulation._receive(ours, child)
    finally:
        child.wait()
    assert str(raised.value) == (
        "Flower's simulation failed: RuntimeError: Simulation Runtime crashed.; "
        "for its traceback, run again with PHIBENCH_TRACEBACK=1"
    )
