"""One way to write each kind of number on every page: rates, counts, days, times and field names."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

MISSING = "—"  # what a page shows for a value that does not exist (never "None" or "nan")


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def percent(rate: float | None, digits: int = 1) -> str:
    """A rate in [0, 1] as a percentage with a fixed number of decimals: 0.115 -> '11.5 %'."""
    return MISSING if _missing(rate) else f"{rate * 100:.{digits}f} %"


def count(value: float | None, singular: str = "", plural: str | None = None) -> str:
    """A whole number with thousands separators, with its noun when given: '1 ad', '1,204 ads'."""
    if _missing(value):
        return MISSING
    text = f"{int(value):,}"
    if not singular:
        return text
    return f"{text} {singular if int(value) == 1 else (plural or singular + 's')}"


def decimal(value: float | None, digits: int = 2) -> str:
    """A measurement with a fixed number of decimals: 1.5 -> '1.50'."""
    return MISSING if _missing(value) else f"{value:,.{digits}f}"


def days(value: float | None) -> str:
    """A number of days without trailing zeros: 35.0 -> '35 days', 1 -> '1 day', 2.5 -> '2.5 days'."""
    if _missing(value):
        return MISSING
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} day" if text == "1" else f"{text} days"


def seconds(value: float | None) -> str:
    """A duration for people: '0.14 s', '12.3 s', '2.5 min'."""
    if _missing(value):
        return MISSING
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def moment(value: datetime | date | str | None) -> str:
    """A timestamp to the minute in UTC ('2026-12-02 08:15 UTC'); a date as 'YYYY-MM-DD'."""
    if _missing(value) or value == "":
        return MISSING
    stamp = pd.Timestamp(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return stamp.strftime("%Y-%m-%d")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def title(name: str) -> str:
    """A snake_case field name as a heading: 'rewards_new' -> 'Rewards new'."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
