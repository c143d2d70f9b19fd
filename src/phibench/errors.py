"""Errors that phibench reports to the user as one line.

`InputError` is for anything the user can fix (a flag, a file, a folder, a spec):
the CLI prints its message and exits with code 2. The message names the parameter
or file, the value received, what is allowed, and how to fix it.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: a setting, file, folder or data value the user must fix."""


class DataLayoutError(InputError):
    """A data folder is missing, or not in the layout a loader expects."""


class SpecError(InputError):
    """A benchmark specification file does not validate."""
