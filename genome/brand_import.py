"""The brands boundary: who a brand is (name, organization) and whether it shares, checked once.

`validate_brands` takes a brands CSV (path, file object or DataFrame) with the columns
`brand_id, name, organization_id, cross_brand_sharing`, of which only `brand_id` is required, and
returns the frame `Store.save_brands` takes, or raises `ValidationError` listing every problem (row,
column, reason). What a file means:

- a column left out keeps what is stored, for every brand of the file (a new brand gets the
  defaults: its id as its name, no organization, sharing off);
- a blank cell sets the default: the brand id as the name, no organization, sharing off;
- sharing is on/off, true/false, yes/no or 1/0, in any case.

`genome.text_rules.checked_text` is the same rule for one argument of `Genome.set_brand`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from genome.problems import Problems
from genome.text_rules import FORBIDDEN_IN_TEXT, forbidden_reason
from genome.validation import MAX_ID_LENGTH, CsvSource
from genome.validation import _read as read_cells  # the one CSV reader of every import

BRAND_FILE_COLUMNS: Final = ("brand_id", "name", "organization_id", "cross_brand_sharing")
MAX_BRAND_NAME_LENGTH: Final = 200
SHARING_ON: Final = frozenset({"on", "true", "yes", "1"})
SHARING_OFF: Final = frozenset({"off", "false", "no", "0"})
#: the longest each text column may be (brand ids are as long as the ads import allows)
LIMITS: Final = {"brand_id": MAX_ID_LENGTH, "name": MAX_BRAND_NAME_LENGTH, "organization_id": MAX_ID_LENGTH}


def validate_brands(source: CsvSource) -> pd.DataFrame:
    """Clean brands: id, name, organization_id, cross_brand_sharing; None where a column was left out."""
    problems = Problems("brands file")
    raw = read_cells(source, problems)
    if raw is not None:
        if "brand_id" not in raw.columns:
            problems.add_file(["brand_id"], "missing column")
        unexpected = [c for c in raw.columns if c not in BRAND_FILE_COLUMNS]
        problems.add_file(unexpected, f"unexpected column; the columns are {', '.join(BRAND_FILE_COLUMNS)}")
    problems.raise_if_any()
    assert raw is not None
    problems.column_order = list(BRAND_FILE_COLUMNS)
    brand_id = _text_column(raw, "brand_id", problems)
    problems.add(brand_id.eq(""), "brand_id", "empty")
    _repeated_ids(brand_id, problems)
    cleaned = {"id": brand_id}
    for column in ("name", "organization_id"):
        cleaned[column] = _text_column(raw, column, problems) if column in raw.columns else None
    cleaned["cross_brand_sharing"] = _sharing(raw, problems) if "cross_brand_sharing" in raw.columns else None
    problems.raise_if_any()
    return pd.DataFrame(cleaned, index=raw.index).astype(object)


def brands_file(brands: pd.DataFrame) -> str:
    """Stored brands (id, name, organization_id, cross_brand_sharing) as a brands CSV that imports back
    unchanged: the download people edit and upload again."""
    return pd.DataFrame(
        {
            "brand_id": brands["id"],
            "name": brands["name"],
            "organization_id": brands["organization_id"].fillna(""),
            "cross_brand_sharing": brands["cross_brand_sharing"].map(sharing_word),
        }
    ).to_csv(index=False)


def sharing_word(on: bool) -> str:
    """How sharing is shown to people."""
    return "on" if on else "off"


def _text_column(raw: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    """A column as trimmed text ('' for blank cells); forbidden characters and overlong cells are problems."""
    values = raw[column]
    values = values.astype(object).where(values.notna(), "").astype("str").str.strip()
    forbidden = values.str.contains(FORBIDDEN_IN_TEXT, regex=True)
    if forbidden.any():
        problems.add(forbidden, column, values.where(forbidden).map(forbidden_reason, na_action="ignore"))
    limit = LIMITS[column]
    problems.add(values.str.len() > limit, column, f"longer than {limit} characters")
    return values


def _sharing(raw: pd.DataFrame, problems: Problems) -> pd.Series:
    values = raw["cross_brand_sharing"]
    if pd.api.types.is_bool_dtype(values):
        return values.astype(object)
    words = values.astype(object).where(values.notna(), "").astype("str").str.strip().str.lower()
    unknown = words.ne("") & ~words.isin(SHARING_ON | SHARING_OFF)
    reason = "{value} is not one of on/off, true/false, yes/no, 1/0"
    problems.add(unknown, "cross_brand_sharing", reason, value=words)
    return pd.Series(words.isin(SHARING_ON).to_numpy(dtype=object), index=raw.index)


def _repeated_ids(brand_id: pd.Series, problems: Problems) -> None:
    """A brand listed twice is refused at its later rows, naming the first."""
    row = pd.Series(np.arange(1, len(brand_id) + 1), index=brand_id.index)
    first = row.groupby(brand_id.to_numpy()).transform("min")
    repeated = brand_id.ne("") & row.gt(first)
    problems.add(repeated, "brand_id", "brand_id repeats row " + first.astype("str"))
