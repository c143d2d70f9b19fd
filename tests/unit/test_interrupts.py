"""Stop signals (Ctrl-C, SIGTERM, SIGHUP): held over a step that must not be
cut, and recorded so that a swallowed one still stops the run."""

from __future__ import annotations

import contextlib
import signal
import threading

import pytest

from phibench import interrupts
from phibench.interrupts import STOP_SIGNALS, interrupts_held


def test_a_ctrl_c_during_the_step_arrives_after_it():
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        signal.raise_signal(signal.SIGINT)
        done.append("the step ran to its end")
    assert done == ["the step ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_arrives_at_once():
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        done.append("not reached")
    assert done == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_reaches_phibench_s_own_handler_after_the_step():
    class Terminated(Exception):
        pass

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with pytest.raises(Terminated), interrupts_held():
            signal.raise_signal(signal.SIGTERM)
            assert signal.getsignal(signal.SIGTERM) is not terminate
        assert signal.getsignal(signal.SIGTERM) is terminate
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_quiet_step_changes_nothing():
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    with interrupts_held():
        pass
    assert {s: signal.getsignal(s) for s in before} == before


def test_outside_the_main_thread_the_step_just_runs():
    ran = []

    def step():
        with interrupts_held():
            ran.append(True)

    thread = threading.Thread(target=step)
    thread.start()
    thread.join()
    assert ran == [True]


def test_a_step_that_must_end_holds_even_a_repeated_ctrl_c():
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts_held(repeatable=False):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        done.append("the step ran to its end")
    assert done == ["the step ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_recorded_stop_is_raised_again_until_the_next_command():
    interrupts.forget_stops()
    interrupts.check_not_stopped()  # nothing recorded: nothing raised
    with pytest.raises(KeyboardInterrupt):
        interrupts.stop(signal.SIGTERM, None)
    with pytest.raises(KeyboardInterrupt):
        interrupts.check_not_stopped()
    interrupts.forget_stops()
    interrupts.check_not_stopped()


def test_a_run_folder_is_not_published_after_a_swallowed_stop(tmp_path):
    from phibench.runner.rundir import staged_run_dir

    try:
        with (
            pytest.raises(KeyboardInterrupt),
            staged_run_dir(tmp_path, "run") as partial,
        ):
            (partial / "metrics.json").write_text("{}")
            with contextlib.suppress(KeyboardInterrupt):
                interrupts.stop(signal.SIGINT, None)
    finally:
        interrupts.forget_stops()
    assert list(tmp_path.iterdir()) == []
