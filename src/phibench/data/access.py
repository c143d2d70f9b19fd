"""Check a data folder against its registry entry: files, checksums, identity.

`check` answers what a user holding a copy of a dataset needs to know before a
benchmark reads it: which of the release's files are there, whether they are the
published bytes (sha256 against the checksum file the release ships), whether the
folder is another registered dataset altogether, and, in one line, what is
missing and how to get it. It only reads the folder; nothing is written and
nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from tqdm import tqdm

from phibench.data.registry import DatasetEntry, Registry, load_registry
from phibench.errors import DataLayoutError, InputError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
#: A folder "looks like" a dataset when at least this share of its layout is there.
IDENTIFY_THRESHOLD = 0.5
_GZIP_MAGIC = b"\x1f\x8b"
_SHA256_HEX = frozenset("0123456789abcdef")
_LISTED = 6  # names spelled out in a summary before "and N more"

Status = Literal["ok", "incomplete", "wrong_dataset"]
_EXIT_CODES = {"ok": 0, "incomplete": 1, "wrong_dataset": 2}


@dataclass(frozen=True)
class Match:
    """How much of one registered dataset's layout a folder holds."""

    dataset_id: str
    n_present: int
    n_expected: int

    @property
    def fraction(self) -> float:
        return self.n_present / self.n_expected


@dataclass(frozen=True)
class ChecksumResult:
    file: str
    n_listed: int
    n_verified: int
    mismatched: tuple[str, ...]
    absent: tuple[str, ...]  # listed in the file, not in the folder
    unverifiable: tuple[str, ...]  # only present decompressed (.csv for .csv.gz)
    n_malformed: int  # lines that are not `HASH  PATH` with a safe relative path


@dataclass(frozen=True)
class CheckReport:
    dataset_id: str
    data_dir: str
    status: Status
    n_expected: int
    missing: tuple[str, ...]
    summary: str  # one line: what is missing and how to get it
    present: tuple[str, ...] = ()  # as found, e.g. hosp/admissions.csv
    optional_missing: tuple[str, ...] = ()
    not_gzip: tuple[str, ...] = ()
    checksums: ChecksumResult | None = None
    looks_like: tuple[Match, ...] = ()  # other datasets the folder matches
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 all there and verified, 1 missing or corrupt, 2 another dataset."""
        return _EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["looks_like"] = [
            {**asdict(match), "fraction": round(match.fraction, 3)}
            for match in self.looks_like
        ]
        data["exit_code"] = self.exit_code
        return data


def check(
    entry: DatasetEntry,
    data_dir: Path | str,
    *,
    registry: Registry | None = None,
    verify_checksums: bool = True,
) -> CheckReport:
    """Compare `data_dir` with `entry`'s release layout and checksums.

    InputError when the folder does not exist or the entry has no layout to
    compare with; otherwise a report whose `status` is ok, incomplete (files
    missing, not gzip, or a checksum differs) or wrong_dataset (the folder holds
    little of this dataset but most of another registered one).
    """
    data_dir = _existing_folder(data_dir, entry)
    registry = registry or load_registry()
    _require_layout(entry, registry)
    found = {rel: find_expected(data_dir, rel) for rel in entry.layout}
    missing = tuple(rel for rel, path in found.items() if path is None)
    own = Match(entry.id, len(entry.layout) - len(missing), len(entry.layout))
    others = tuple(m for m in identify(data_dir, registry) if m.dataset_id != entry.id)
    logger.info(
        "%s: %d of %d expected files present", entry.id, own.n_present, own.n_expected
    )
    if own.fraction < IDENTIFY_THRESHOLD and others:
        summary = _wrong_summary(entry, data_dir, own, others)
        return CheckReport(
            dataset_id=entry.id,
            data_dir=str(data_dir),
            status="wrong_dataset",
            n_expected=own.n_expected,
            missing=missing,
            summary=summary,
            looks_like=others,
        )
    return _inspect(entry, data_dir, own, found, others, registry, verify_checksums)


def _inspect(
    entry: DatasetEntry,
    data_dir: Path,
    own: Match,
    found: dict[str, Path | None],
    others: tuple[Match, ...],
    registry: Registry,
    verify_checksums: bool,
) -> CheckReport:
    """The report for a folder that is (mostly) the dataset asked for."""
    missing = tuple(rel for rel, path in found.items() if path is None)
    present = tuple(_relative(path, data_dir) for path in found.values() if path)
    not_gzip = tuple(
        rel for rel in present if rel.endswith(".gz") and not _is_gzip(data_dir / rel)
    )
    checksums = None
    if entry.checksums and verify_checksums:
        checksums = verify_checksum_file(data_dir, entry.checksums)
    failed = missing or not_gzip or (checksums and _checksum_problems(checksums))
    optional_missing = tuple(
        rel for rel in entry.layout_optional if find_expected(data_dir, rel) is None
    )
    skipped = bool(entry.checksums) and not verify_checksums
    return CheckReport(
        dataset_id=entry.id,
        data_dir=str(data_dir),
        status="incomplete" if failed else "ok",
        n_expected=own.n_expected,
        missing=missing,
        summary=_summary(entry, own, missing, not_gzip, checksums),
        present=present,
        optional_missing=optional_missing,
        not_gzip=not_gzip,
        checksums=checksums,
        looks_like=others,
        notes=_notes(entry, registry, others, optional_missing, checksums, skipped),
    )


def identify(data_dir: Path | str, registry: Registry | None = None) -> list[Match]:
    """Registered datasets whose layout the folder mostly holds, best first.

    A dataset with markers (files that tell a release apart, such as the MIMIC-IV
    demo's subject list) matches only when all of them are present.
    """
    data_dir = Path(data_dir)
    registry = registry or load_registry()
    matches = []
    for entry in registry.datasets:
        if not entry.layout:
            continue
        if any(find_expected(data_dir, marker) is None for marker in entry.markers):
            continue
        n_present = sum(
            find_expected(data_dir, rel) is not None for rel in entry.layout
        )
        match = Match(entry.id, n_present, len(entry.layout))
        if match.fraction >= IDENTIFY_THRESHOLD:
            matches.append(match)
    return sorted(matches, key=lambda match: (-match.fraction, match.dataset_id))


def find_expected(data_dir: Path, rel: str) -> Path | None:
    """The file (or non-empty folder, for a name ending in /) standing for `rel`.

    A .csv.gz name is also satisfied by the decompressed .csv, and the other way
    round, since users gzip or decompress releases.
    """
    if rel.endswith("/"):
        folder = data_dir / rel
        return folder if folder.is_dir() and any(folder.iterdir()) else None
    for candidate in _alternatives(rel):
        path = data_dir / candidate
        if path.is_file():
            return path
    return None


def _alternatives(rel: str) -> tuple[str, ...]:
    if rel.endswith(".csv.gz"):
        return rel, rel.removesuffix(".gz")
    if rel.endswith(".csv"):
        return rel, rel + ".gz"
    return (rel,)


def sha256_of(path: Path, *, chunk_size: int = CHUNK_SIZE, progress=None) -> str:
    """Hex sha256 of a file, read in chunks so that memory stays flat."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            if progress is not None:
                progress.update(len(chunk))
    return digest.hexdigest()


def parse_checksum_lines(lines: Iterable[str]) -> tuple[dict[str, str], int]:
    """`HASH  PATH` lines (sha256sum format) as {path: hash}, and the bad count.

    Lines whose path is absolute or climbs out with '..' count as malformed, so a
    checksum file cannot make the check read outside the data folder.
    """
    listed: dict[str, str] = {}
    n_malformed = 0
    for line in lines:
        if not line.strip():
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().removeprefix("*")
        path = PurePosixPath(name)
        digest = digest.lower()
        if (
            len(digest) != 64
            or not set(digest) <= _SHA256_HEX
            or not name
            or path.is_absolute()
            or ".." in path.parts
        ):
            n_malformed += 1
            continue
        listed[str(path)] = digest
    return listed, n_malformed


def verify_checksum_file(data_dir: Path, checksum_name: str) -> ChecksumResult | None:
    """Hash every file the checksum file lists; None when the file is absent."""
    checksum_path = data_dir / checksum_name
    if not checksum_path.is_file():
        return None
    text = checksum_path.read_text(encoding="utf-8", errors="replace")
    listed, n_malformed = parse_checksum_lines(text.splitlines())
    absent, unverifiable, to_hash = [], [], []
    for rel in listed:
        path = data_dir / rel
        if path.is_file():
            to_hash.append(rel)
        elif find_expected(data_dir, rel) is not None:
            unverifiable.append(rel)
        else:
            absent.append(rel)
    mismatched = _hash_and_compare(data_dir, to_hash, listed)
    logger.info(
        "%s: %d files hashed, %d differ, %d absent",
        checksum_name,
        len(to_hash),
        len(mismatched),
        len(absent),
    )
    return ChecksumResult(
        file=checksum_name,
        n_listed=len(listed),
        n_verified=len(to_hash) - len(mismatched),
        mismatched=tuple(mismatched),
        absent=tuple(absent),
        unverifiable=tuple(unverifiable),
        n_malformed=n_malformed,
    )


def _hash_and_compare(
    data_dir: Path, names: list[str], listed: dict[str, str]
) -> list[str]:
    total = sum((data_dir / name).stat().st_size for name in names)
    mismatched = []
    # tqdm(disable=None) draws the bar only on a terminal.
    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc="sha256",
        leave=False,
        disable=None,
    ) as progress:
        for name in names:
            if sha256_of(data_dir / name, progress=progress) != listed[name]:
                mismatched.append(name)
    return mismatched


def _existing_folder(data_dir: Path | str, entry: DatasetEntry) -> Path:
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        problem = "is a file, not a folder" if path.exists() else "no such folder"
        raise DataLayoutError(
            f"--data-dir {path}: {problem}; give the folder that holds your copy of "
            f"{entry.name}"
        )
    return path


def _require_layout(entry: DatasetEntry, registry: Registry) -> None:
    if not entry.layout:
        checkable = [other.id for other in registry.datasets if other.layout]
        raise InputError(
            f"dataset {entry.id!r} has no file layout in the registry, so there is "
            f"nothing to check; datasets with a layout: {', '.join(checkable)}"
        )


def _relative(path: Path, data_dir: Path) -> str:
    text = path.relative_to(data_dir).as_posix()
    return text + "/" if path.is_dir() else text


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:_LISTED])
    more = len(names) - _LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _wrong_summary(
    entry: DatasetEntry, data_dir: Path, own: Match, others: tuple[Match, ...]
) -> str:
    best = others[0]
    alike = " or ".join(m.dataset_id for m in others if m.fraction == best.fraction)
    return (
        f"{entry.id}: {data_dir} looks like {alike} ({best.n_present} of "
        f"{best.n_expected} of its files present), not {entry.id} ({own.n_present} "
        f"of {own.n_expected}); point --data-dir at your {entry.name} folder"
    )


def _notes(
    entry: DatasetEntry,
    registry: Registry,
    others: tuple[Match, ...],
    optional_missing: tuple[str, ...],
    checksums: ChecksumResult | None,
    skipped: bool,
) -> tuple[str, ...]:
    markers = {other.id: other.markers for other in registry.datasets}
    notes = [
        f"the folder looks like {m.dataset_id} "
        f"({', '.join(markers[m.dataset_id])} present)"
        for m in others
        if markers.get(m.dataset_id)
    ]
    if optional_missing:
        notes.append(f"optional files absent: {_listing(optional_missing)}")
    if skipped:
        notes.append("checksums not verified (skipped on request)")
    elif entry.checksums and checksums is None:
        notes.append(f"{entry.checksums} not found, so no checksum was verified")
    if checksums and checksums.unverifiable:
        notes.append(
            f"{len(checksums.unverifiable)} files are present only decompressed; "
            "the published checksums are of the .gz files"
        )
    if checksums and checksums.n_malformed:
        notes.append(
            f"{checksums.n_malformed} lines of {checksums.file} were not "
            "'SHA256  relative/path' and were skipped"
        )
    return tuple(notes)


def _checksum_problems(checksums: ChecksumResult) -> list[str]:
    """What makes a checksum file fail a check (a damaged file verifies less)."""
    problems = []
    if checksums.mismatched:
        problems.append(
            f"checksum differs from {checksums.file}: {_listing(checksums.mismatched)}"
        )
    if checksums.absent:
        problems.append(f"listed in {checksums.file} but absent")
    if checksums.n_malformed:
        lines = "line" if checksums.n_malformed == 1 else "lines"
        problems.append(
            f"{checksums.n_malformed} unreadable {lines} in {checksums.file} (those "
            "files are unverified)"
        )
    if checksums.n_listed == 0:
        problems.append(f"{checksums.file} lists no file")
    return problems


def _summary(
    entry: DatasetEntry,
    own: Match,
    missing: tuple[str, ...],
    not_gzip: tuple[str, ...],
    checksums: ChecksumResult | None,
) -> str:
    noun = "paths" if any(rel.endswith("/") for rel in entry.layout) else "files"
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} of {own.n_expected} expected {noun} missing "
            f"({_listing(missing)})"
        )
    if not_gzip:
        problems.append(f"not gzip despite the .gz name: {_listing(not_gzip)}")
    verified = ""
    if checksums:
        extra_absent = [name for name in checksums.absent if name not in missing]
        for problem in _checksum_problems(checksums):
            if problem.startswith("listed in"):
                if not extra_absent:
                    continue
                problem = f"{problem}: {_listing(extra_absent)}"
            problems.append(problem)
        verified = (
            f"{checksums.n_verified} of {checksums.n_listed} files listed in "
            f"{checksums.file} verified"
        )
    if not problems:
        tail = f"; {verified}" if verified else ""
        return f"{entry.id}: all {own.n_expected} expected {noun} present{tail}"
    found = "; ".join(problems + ([verified] if verified else []))
    return f"{entry.id}: {found} — to get them: {'; '.join(entry.access_steps)}"
