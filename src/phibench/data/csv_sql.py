"""DuckDB over released CSV tables: the pieces every streaming loader shares.

A loader declares its tables and column types; this module reads headers,
quotes names, opens a DuckDB session that spills to a private temporary folder
and never loads extensions from the network, and turns DuckDB's errors into one
line that names the file, column and line but never the offending value (a CSV
line is patient data). See docs/decisions/0003-duckdb-for-streaming-loaders.md.
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from phibench.errors import DataLayoutError, InputError

DUCKDB_CONFIG: dict[str, str | int | bool] = {
    "memory_limit": "512MB",
    "threads": 2,
    "preserve_insertion_order": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_UNREADABLE = (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error)


def release_root(data_dir: Path | str, *, expected: str) -> Path:
    """The release folder, or DataLayoutError saying what folder to pass."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataLayoutError(
            f"data_dir={str(root)!r} is not a folder; pass {expected}"
        )
    return root


def release_version(root: Path, *, product: str) -> str | None:
    """A release's version from its folder name (`.../2.2`, `x-demo-2.0.1`) or
    from a README that names `product` with a version; None when neither does."""
    from_name = re.search(r"(?<![\d.])(\d+\.\d+(?:\.\d+)?)$", root.resolve().name)
    if from_name:
        return from_name.group(1)
    pattern = rf"{re.escape(product)}\b[^\n]*?\b(?:v|version\s*)(\d+\.\d+(?:\.\d+)?)"
    for readme in (root / "README.txt", root / "README.md"):
        if readme.is_file():
            text = readme.read_text(encoding="utf-8", errors="replace")
            found = re.search(pattern, text, flags=re.IGNORECASE)
            if found:
                return found.group(1)
    return None


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def identifier(text: str) -> str:
    """A SQL quoted identifier."""
    return '"' + text.replace('"', '""') + '"'


def read_header(path: Path, *, release: str) -> list[str]:
    """The header row of a CSV or gzip CSV file (a byte-order mark is dropped)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle), [])
    except _UNREADABLE as error:
        raise InputError(
            f"{path}: cannot read the CSV header ({type(error).__name__}); the file "
            f"must be a {release} table as released, gzip-compressed or plain CSV"
        ) from None


def read_csv_sql(path: Path, types: dict[str, str]) -> str:
    """`read_csv(...)` of `path` with every column typed; nothing is sniffed."""
    columns = ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in types.items())
    return (
        f"read_csv({quote(str(path))}, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})"
    )


@contextmanager
def session(root: Path, *, release: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that spills to a temporary folder; errors as one line."""
    with tempfile.TemporaryDirectory(prefix="phibench-duckdb-") as spill_dir:
        connection = duckdb.connect(
            config={**DUCKDB_CONFIG, "temp_directory": spill_dir}
        )
        try:
            connection.execute("SET enable_progress_bar = false")
            yield connection
        except duckdb.Error as error:
            # `from None`: DuckDB's message quotes the offending CSV line.
            raise read_error(error, root, release=release) from None
        except (OSError, EOFError, zlib.error) as error:
            cause = "corrupt or truncated gzip data"
            if isinstance(error, OSError) and error.strerror:
                cause = error.strerror
            raise DataLayoutError(
                f"{root}: a {release} table could not be read ({cause}); check the "
                "files against the release's checksums and fetch damaged ones again"
            ) from None
        finally:
            connection.close()


def read_error(error: duckdb.Error, root: Path, *, release: str) -> InputError:
    """One line naming file, column and CSV line; never the offending value."""
    message = str(error)
    column = re.search(r'converting column "([^"]+)"', message)
    if column:
        file = re.search(r"^\s*file = (.+)$", message, flags=re.MULTILINE)
        line = re.search(r"CSV Error on Line: (\d+)", message)
        wanted = re.search(r"to '([A-Z]+)'", message)
        return InputError(
            f"{file.group(1) if file else root}: column {column.group(1)} has a "
            f"value that is not {wanted.group(1) if wanted else 'of its type'} "
            f"(CSV line {line.group(1) if line else 'unknown'}); {release} tables "
            "must hold numbers and times there; fix or remove that row"
        )
    # DuckDB's own text can quote a cell (e.g. "Could not convert string ..."),
    # so only the error type and the line number are passed on.
    line = re.search(r"Line: (\d+)", message)
    return InputError(
        f"cannot read the {release} tables in {root} ({type(error).__name__}, "
        f"CSV line {line.group(1) if line else 'unknown'}); check that the files "
        "are complete CSV or gzip CSV as released"
    )
