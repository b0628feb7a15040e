"""Payloads for the SQL write functions: frames -> JSON-ready rows with the columns each one takes.

The postgres backend sends them as jsonb to the functions of genome/migrations/postgres/functions, the
supabase backend sends the same rows through `.rpc()`, and the sqlite backend binds them to
`executemany`. Optional columns a frame lacks are sent as null.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from genome.posteriors import SCORE_COLUMNS
from genome.rewards import REWARD_COLUMNS
from genome.store.frames import BRANDS, REWARD_COMPONENTS  # noqa: F401 (sqlite_writes)
from genome.validation import PERFORMANCE_FILE_COLUMNS

AD_PAYLOAD = (
    "ad_id",
    "brand_id",
    "element_tags",
    "pre_gen_score",
    "final_status",
    "is_imported",
    "created_at",
)
PERFORMANCE_PAYLOAD = PERFORMANCE_FILE_COLUMNS
BRAND_PAYLOAD = tuple(BRANDS)
REWARD_PAYLOAD = REWARD_COLUMNS
SCORE_PAYLOAD = SCORE_COLUMNS
DATE_COLUMNS = frozenset({"date", "first_date", "last_date", "matured_at", "as_of"})
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def with_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`frame` restricted to `columns`, in order; a missing column is added as all-null."""
    columns = list(columns)
    missing = {name: None for name in columns if name not in frame.columns}
    return frame.assign(**missing)[columns] if missing else frame[columns]


def to_records(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """JSON-ready dicts: NaN/NaT -> None, numpy scalars -> Python, dates 'YYYY-MM-DD', timestamps
    ISO 8601 UTC with 'Z'. Columns named in DATE_COLUMNS are dates; other datetime columns timestamps."""
    names, values = _prepared(frame, columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def to_rows(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[tuple[Any, ...]]:
    """The same values as `to_records`, as tuples in column order (for DB-API `executemany`)."""
    return list(zip(*_prepared(frame, columns)[1], strict=True))


def _prepared(frame: pd.DataFrame, columns: Iterable[str] | None) -> tuple[list[str], list[list[Any]]]:
    if columns is not None:
        frame = with_columns(frame, columns)
    names = [str(name) for name in frame.columns]
    if frame.empty:
        return names, [[] for _ in names]
    return names, [_json_ready(name, frame[name]) for name in names]


def to_json_records(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """`to_records` as one JSON text (floats keep their shortest round-trip form)."""
    return json.dumps(to_records(frame, columns), allow_nan=False, default=json_default)


def timestamp_text(value: datetime) -> str:
    """A timestamp as the ISO 8601 UTC text every backend stores and sends."""
    return json_value(value)  # type: ignore[return-value]


def _json_ready(name: str, values: pd.Series) -> list[Any]:
    """One column as Python values, None where missing (vectorised except for object columns)."""
    as_date = name in DATE_COLUMNS
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
        values = stamps.dt.strftime("%Y-%m-%d" if as_date else TIMESTAMP_FORMAT)
    elif pd.api.types.is_float_dtype(values) and isinstance(values.dtype, np.dtype):
        numbers = values.to_numpy()
        out = numbers.astype(object)
        out[~np.isfinite(numbers)] = None
        return out.tolist()
    elif values.dtype == object:
        values = values.map(lambda value: json_value(value, as_date), na_action="ignore")
    return values.astype(object).where(values.notna(), None).tolist()


def json_value(value: object, as_date: bool = False) -> object:
    """One value as JSON: timestamps ISO 8601 UTC with 'Z' (dates with `as_date`), dates 'YYYY-MM-DD',
    numpy scalars as Python ones, NaN and infinities None."""
    if isinstance(value, datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
        return stamp.strftime("%Y-%m-%d" if as_date else TIMESTAMP_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return json_value(value.item(), as_date)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def json_default(value: object) -> object:
    """`json.dumps` default: numpy scalars, dates and timestamps as JSON values."""
    converted = json_value(value)
    if converted is value:
        raise TypeError(f"cannot send {type(value).__name__} to the database as JSON")
    return converted
