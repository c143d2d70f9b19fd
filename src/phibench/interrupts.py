"""Holding Ctrl-C, SIGTERM and SIGHUP over a short step that must not be cut.

A few steps are short but must not be cut in the middle: starting the
simulation process (cut, phibench would lose the process id it needs to stop
it) and creating an MLflow run (cut, the run would stay RUNNING under an id
phibench never learnt). While such a step runs, the two signals are recorded
and raised again once it is over. The same signal a second time is raised at
once (a user who presses Ctrl-C twice does not wait), except over a step that
must end whatever the user does: removing the sites' rows.

A library can swallow the KeyboardInterrupt a stop signal raises (Polars does
when the signal lands inside its conversion of a NumPy array), and the run
would go on as if nothing had happened. So the command line's handler also
records the signal, and `check_not_stopped` raises it again before a result is
published.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: The signals phibench treats as "stop": Ctrl-C, a polite kill, and the
#: terminal closing (the CLI leaves SIGHUP alone under `nohup`).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


_stops: list[int] = []


def stop(signum: int, frame: object) -> None:
    """The command line's handler for the stop signals: recorded, then
    unwound like Ctrl-C, so a partial run folder is removed."""
    _stops.append(signum)
    raise KeyboardInterrupt


def forget_stops() -> None:
    """A new command starts with no stop recorded."""
    _stops.clear()


def stop_recorded() -> bool:
    """Whether a stop signal arrived since the command started."""
    return bool(_stops)


def check_not_stopped() -> None:
    """Raise KeyboardInterrupt if a stop signal arrived since the command
    started, even one a library caught and dropped."""
    if _stops:
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_held(*, repeatable: bool = True) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP arrive after the block, with phibench's own handlers
    back; a repeated one arrives at once if `repeatable`. Outside the main
    thread (where no handler can be set) the block runs unprotected."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous: dict[int, object] = {}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        previous.clear()

    def hold(signum: int, frame: object) -> None:
        arrived.append(signum)
        if repeatable and arrived.count(signum) == 2:  # asked twice: stop waiting
            restore()
            signal.raise_signal(signum)

    for signum in STOP_SIGNALS:
        previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        forced = not previous
        restore()
        if not forced:
            for signum in dict.fromkeys(arrived):
                signal.raise_signal(signum)
