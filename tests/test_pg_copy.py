"""genome.store.pg_copy: the binary COPY rows it builds, read back field by field."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

from genome.store import pg_copy


def read_rows(data: bytes, fields: int) -> list[list[bytes | None]]:
    """COPY binary tuples back into values (None for null)."""
    rows, at = [], 0
    while at < len(data):
        (count,) = struct.unpack_from(">h", data, at)
        assert count == fields
        at += 2
        row = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", data, at)
            at += 4
            row.append(None if length < 0 else data[at : at + length])
            at += max(length, 0)
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "texts",
    [
        ["abcde", "abc", "abcdefg"],  # lengths 5, 3, 7: their total is 3 × the first, yet they differ
        ["same", "four", "char"],
        ["é", "ab", "ü€"],
        ["x", None, "xyz"],
    ],
)
def test_text_of_any_lengths_reads_back_as_given(texts):
    values = pd.Series(texts, dtype=object)
    numbers = pd.Series([1.5, 2.0, float("nan")])
    data = pg_copy.encode_rows([pg_copy.field(values, "text"), pg_copy.field(numbers, "float8")])
    rows = read_rows(data, 2)
    assert [None if row[0] is None else row[0].decode() for row in rows] == texts
    assert [None if row[1] is None else struct.unpack(">d", row[1])[0] for row in rows] == [1.5, 2.0, None]
