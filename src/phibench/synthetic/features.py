"""One fixed feature pipeline for every model trained on cohort rows.

Numbers: median imputation with a missing-value indicator, then standard
scaling; categories and booleans: one-hot with missing as its own category.
The same pipeline serves the utility model, the detection classifier and the
density attack, so their differences come from the data, not the encoding.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from phibench.synthetic.table import COLUMN_KINDS


def feature_encoder(frame: pl.DataFrame) -> Any:
    """A fitted ColumnTransformer for the columns of `frame`."""
    return make_encoder(frame.columns).fit(to_model_frame(frame))


def make_encoder(columns: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in columns if COLUMN_KINDS[c] in {"numeric", "datetime"}]
    other = [c for c in columns if c not in numeric]
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(
                        strategy="median", add_indicator=True, keep_empty_features=True
                    ),
                    StandardScaler(),
                ),
                numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                other,
            ),
        ],
        sparse_threshold=0.0,
    )


def to_model_frame(frame: pl.DataFrame) -> Any:
    """Pandas frame: datetimes as days, categories and booleans as strings."""
    exprs = []
    for column in frame.columns:
        kind = COLUMN_KINDS[column]
        if kind == "datetime":
            exprs.append(pl.col(column).dt.epoch("s").cast(pl.Float64) / 86400.0)
        elif kind == "numeric":
            exprs.append(pl.col(column).cast(pl.Float64))
        else:
            exprs.append(pl.col(column).cast(pl.String))
    out = frame.select(exprs).to_pandas()
    for column in out.columns:
        if COLUMN_KINDS[column] not in {"numeric", "datetime"}:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
