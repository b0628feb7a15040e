"""Frames as PostgreSQL binary COPY data, built with numpy (no loop over rows).

The postgres backend streams an import's rows with `cursor.copy()` into the staging table that
genome/migrations/postgres/functions/genome_import_staging.sql creates; the import function then writes
them set-based. Values mean what they mean in `genome.store.payloads`: NaN/None/NaT -> null, non-finite
numbers -> null, timestamps without a zone are UTC, text dates 'YYYY-MM-DD'.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd

from genome.store.payloads import AD_PAYLOAD, PERFORMANCE_PAYLOAD, with_columns

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
EPOCH = np.datetime64("2000-01-01")  # Postgres counts dates and timestamps from here
CHUNK_ROWS = 100_000  # rows per write: memory stays bounded while the server works on the last chunk
#: the staging table of each import and the binary type of each column (the rest are text)
STAGING = {
    "import_ads": ("genome_staged_ads", AD_PAYLOAD),
    "import_performance": ("genome_staged_performance", PERFORMANCE_PAYLOAD),
}
TYPES = {
    "date": "date",
    "created_at": "timestamptz",
    "is_imported": "bool",
    **dict.fromkeys(("impressions", "clicks", "conversions", "spend", "revenue", "pre_gen_score"), "float8"),
}
Field = tuple[np.ndarray, np.ndarray]  # per-row byte lengths (-1 = null), the non-null values' bytes


def copy_statement(job_type: str) -> str:
    table, columns = STAGING[job_type]
    return f"copy pg_temp.{table} (ord, {', '.join(columns)}) from stdin (format binary)"


def binary_chunks(frame: pd.DataFrame, job_type: str) -> Iterator[bytes]:
    """The whole COPY stream for `frame`'s rows (numbered, then the staging columns of `job_type`)."""
    columns = STAGING[job_type][1]
    yield SIGNATURE
    for start in range(0, len(frame), CHUNK_ROWS):
        part = with_columns(frame.iloc[start : start + CHUNK_ROWS], columns)
        order = np.arange(start, start + len(part), dtype=">i8")  # `ord`: the last duplicate wins
        fields = [_fixed(order, np.zeros(len(part), bool))]
        yield encode_rows(fields + [field(part[name], TYPES.get(name, "text")) for name in columns])
    yield TRAILER


def encode_rows(fields: list[Field]) -> bytes:
    """COPY binary tuples: per row the field count, then per field its length (int32) and bytes."""
    rows = len(fields[0][0])
    sizes = [4 + np.maximum(lengths, 0) for lengths, _ in fields]
    row_sizes = 2 + np.sum(sizes, axis=0, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(row_sizes)[:-1])).astype(np.int64)
    out = np.empty(int(row_sizes.sum()), np.uint8)
    _put(out, starts, np.full(rows, len(fields), ">i2"))
    at = starts + 2
    for (lengths, data), size in zip(fields, sizes, strict=True):
        width = int(lengths[0]) if rows else 0
        if width >= 0 and (lengths == width).all():  # no nulls, one width: header and value at once
            block = np.hstack(
                [lengths.astype(">i4").view(np.uint8).reshape(rows, 4), data.reshape(rows, width)]
            )
            out[at[:, None] + np.arange(4 + width)] = block
        else:
            _put(out, at, lengths.astype(">i4"))
            _scatter(out, at[lengths > 0] + 4, lengths[lengths > 0], data)
        at = at + size
    return out.tobytes()


def _put(out: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    """Fixed-width `values` (one per row) at byte offsets `at`."""
    columns = values.view(np.uint8).reshape(len(values), values.dtype.itemsize)
    for byte in range(columns.shape[1]):
        out[at + byte] = columns[:, byte]


def _scatter(out: np.ndarray, at: np.ndarray, lengths: np.ndarray, data: np.ndarray) -> None:
    """`data`, the concatenation of pieces of `lengths` bytes, with piece i at byte offset at[i]."""
    if len(data):
        piece_starts = np.cumsum(lengths) - lengths
        out[np.repeat(at - piece_starts, lengths) + np.arange(len(data))] = data


def field(values: pd.Series, kind: str) -> Field:
    """One column as COPY binary values of `kind` (text, float8, bool, date, timestamptz)."""
    missing = values.isna().to_numpy()
    if kind == "text":
        return _text(values, missing)
    if kind == "float8":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        return _fixed(numbers.astype(">f8"), missing | ~np.isfinite(numbers))
    if kind == "bool":
        return _fixed(values.fillna(False).astype(bool).to_numpy(), missing)
    stamps = pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_localize(None).to_numpy()
    if kind == "date":
        return _fixed((stamps.astype("datetime64[D]") - EPOCH).astype(">i4"), missing)
    return _fixed((stamps.astype("datetime64[us]") - EPOCH).astype(">i8"), missing)  # timestamptz


def _fixed(values: np.ndarray, missing: np.ndarray) -> Field:
    lengths = np.where(missing, -1, values.dtype.itemsize).astype(np.int32)
    return lengths, values[~missing].view(np.uint8)


def _text(values: pd.Series, missing: np.ndarray) -> Field:
    present = values[~missing]
    if pd.api.types.infer_dtype(present, skipna=False) not in ("string", "empty"):
        present = present.map(_as_text)  # numbers as text, a tag dict as JSON
    texts = present.tolist()
    chars = np.fromiter(map(len, texts), np.int64, len(texts))
    joined = "".join(texts)
    data = np.frombuffer(joined.encode(), np.uint8)
    lengths = np.full(len(values), -1, np.int32)
    lengths[~missing] = chars if len(data) == len(joined) else _utf8_sizes(joined, chars)
    return lengths, data


def _utf8_sizes(joined: str, chars: np.ndarray) -> np.ndarray:
    """The UTF-8 byte length of each of the texts of `chars` characters that make up `joined`."""
    points = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
    width = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    total = np.concatenate(([0], np.cumsum(width)))
    ends = np.cumsum(chars)
    return total[ends] - total[ends - chars]


def _as_text(value: object) -> str:
    return json.dumps(value) if isinstance(value, dict) else str(value)
