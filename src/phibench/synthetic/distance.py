"""Distances between mixed-type rows, normalised by the real data (Gower style).

Per column: a number differs by |a - b| / (range of the real column), capped at
1; a category, a boolean, or a number whose real column is constant differs by
0 (equal) or 1; a missing value equals only another missing value. A row
distance is the mean over the columns that can be compared. A column null in
every real (or every synthetic) row is left out, with the reason recorded, so
no division by zero or NaN spreads into the other columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from phibench.synthetic.table import COLUMN_KINDS

CHUNK = 256  # query rows per block: bounds memory at CHUNK x reference x columns


@dataclass(frozen=True)
class Encoded:
    """Column-wise arrays ready for `nearest`: numbers scaled, categories coded."""

    numeric: list[tuple[np.ndarray, float]]  # values (NaN = missing), real range
    categorical: list[np.ndarray]  # integer codes, -1 = missing
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def n_columns(self) -> int:
        return len(self.numeric) + len(self.categorical)


def encode(
    real: pl.DataFrame, frames: list[pl.DataFrame]
) -> tuple[list[Encoded], dict[str, str]]:
    """Encode `frames` with scales taken from `real`; also the excluded columns."""
    excluded: dict[str, str] = {}
    numeric: list[list[tuple[np.ndarray, float]]] = [[] for _ in frames]
    categorical: list[list[np.ndarray]] = [[] for _ in frames]
    for column in real.columns:
        reason = _exclusion(column, real, frames)
        if reason:
            excluded[column] = reason
            continue
        values = [_as_float(frame[column]) for frame in frames]
        span = _real_range(real[column])
        if span is not None and span > 0:
            for out, vals in zip(numeric, values, strict=True):
                out.append((vals, span))
        else:
            codes = _codes([frame[column] for frame in frames])
            for out, code in zip(categorical, codes, strict=True):
                out.append(code)
    encoded = [
        Encoded(num, cat, excluded)
        for num, cat in zip(numeric, categorical, strict=True)
    ]
    return encoded, excluded


def _exclusion(column: str, real: pl.DataFrame, frames: list[pl.DataFrame]) -> str:
    if real[column].null_count() == real.height:
        return "null in every real row: no distance defined"
    if any(f.height and f[column].null_count() == f.height for f in frames):
        return "null in every row of a compared table: no distance defined"
    return ""


def _as_float(series: pl.Series) -> np.ndarray | None:
    kind = COLUMN_KINDS.get(series.name, "categorical")
    if kind == "datetime":
        return series.dt.epoch("s").cast(pl.Float64).to_numpy() / 86400.0
    if kind == "numeric":
        return series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    return None


def _real_range(series: pl.Series) -> float | None:
    values = _as_float(series)
    if values is None or np.all(np.isnan(values)):
        return None
    return float(np.nanmax(values) - np.nanmin(values))


def _codes(columns: list[pl.Series]) -> list[np.ndarray]:
    """One shared integer code per distinct value; -1 for missing."""
    lookup: dict[object, int] = {}
    out = []
    for series in columns:
        codes = np.empty(series.len(), dtype=np.int64)
        for i, value in enumerate(series.cast(pl.String).to_list()):
            codes[i] = -1 if value is None else lookup.setdefault(value, len(lookup))
        out.append(codes)
    return out


def nearest(query: Encoded, reference: Encoded) -> np.ndarray:
    """Distance from each query row to its closest reference row (NaN if none)."""
    n_query, n_ref = _n_rows(query), _n_rows(reference)
    if query.n_columns == 0 or n_ref == 0:
        return np.full(n_query, np.nan)
    out = np.empty(n_query)
    for start in range(0, n_query, CHUNK):
        stop = min(start + CHUNK, n_query)
        total = np.zeros((stop - start, n_ref))
        for (q, span), (r, _) in zip(query.numeric, reference.numeric, strict=True):
            total += _numeric_part(q[start:stop], r, span)
        for q, r in zip(query.categorical, reference.categorical, strict=True):
            total += q[start:stop, None] != r[None, :]
        out[start:stop] = total.min(axis=1) / query.n_columns
    return out


def _n_rows(encoded: Encoded) -> int:
    if encoded.numeric:
        return len(encoded.numeric[0][0])
    return len(encoded.categorical[0]) if encoded.categorical else 0


def _numeric_part(query: np.ndarray, reference: np.ndarray, span: float) -> np.ndarray:
    diff = np.abs(query[:, None] - reference[None, :]) / span
    q_missing, r_missing = np.isnan(query)[:, None], np.isnan(reference)[None, :]
    diff = np.where(q_missing & r_missing, 0.0, diff)
    diff = np.where(q_missing ^ r_missing, 1.0, diff)
    return np.minimum(diff, 1.0)
