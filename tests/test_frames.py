"""frames.coerce gives each column its dtype whatever the driver returned; element groups unfold exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genome.store import frames


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1, 1], [False, True, True]),  # SQLite integers
        ([0.0, np.nan, 1.0], [False, False, True]),  # a NULL among them arrives as float NaN
        (["t", "false", None], [True, False, False]),  # text from REST
        ([True, False], [True, False]),
    ],
)
def test_flags_become_bool_whatever_they_arrive_as(values, expected):
    column = frames.coerce(pd.DataFrame({"flag": values}), {"flag": "bool"})["flag"]
    assert column.dtype == bool
    assert column.tolist() == expected


@pytest.mark.parametrize("values", [[np.nan, np.nan], [None, None], ["2024-03-01", None]])
def test_dates_become_datetimes_whatever_they_arrive_as(values):
    column = frames.coerce(pd.DataFrame({"day": values}), {"day": "date"})["day"]
    assert str(column.dtype) == "datetime64[ns]"
    assert column.isna().tolist() == [value is None or value != value for value in values]


def test_element_groups_unfold_into_rows_ordered_by_ad_and_element():
    groups = [
        ("b1", "hook_type", "question", json.dumps(["a2", "a10"])),
        ("b1", "color_mode", "dark", json.dumps(["a10"])),
        ("b2", "hook_type", "statement", json.dumps(["b-1"])),
        ("b1", "hook_type", "statement", json.dumps(["a1"])),
    ]
    elements = frames.elements_from_groups(groups)
    assert list(elements.columns) == list(frames.AD_ELEMENTS)
    assert list(elements.itertuples(index=False, name=None)) == [
        ("a1", "b1", "hook_type", "statement"),
        ("a10", "b1", "color_mode", "dark"),
        ("a10", "b1", "hook_type", "question"),
        ("a2", "b1", "hook_type", "question"),
        ("b-1", "b2", "hook_type", "statement"),
    ]
    assert elements.dtypes.astype(str).tolist() == ["str"] * 4
    assert frames.elements_from_groups([]).empty
