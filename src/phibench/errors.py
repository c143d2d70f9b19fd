"""Errors that phibench reports to the user as one line.

`InputError` is for anything the user can fix (a flag, a file, a folder, a spec):
the CLI prints its message and exits with code 2. The message names the parameter
or file, the value received, what is allowed, and how to fix it.

`RunFailure` is for a run that could not finish for a reason outside its input
(a process it started was killed, for instance): one line, exit code 3, and
nothing written.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: a setting, file, folder or data value the user must fix."""


class DataLayoutError(InputError):
    """A data folder is missing, or not in the layout a loader expects."""


class SpecError(InputError):
    """A benchmark specification file does not validate."""


class RunFailure(RuntimeError):
    """The run stopped for a reason outside its input; nothing was written."""
