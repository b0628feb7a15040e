"""genome.objectives: the platform objective table, its README copy, and the lookups built on it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from genome import objectives
from genome.objectives import DEFAULT_OBJECTIVE, OBJECTIVE_ROWS, PLATFORM_OBJECTIVES, WEIGHT_ROWS
from genome.rewards import OBJECTIVE_WEIGHTS, objective_weights

README = Path(__file__).resolve().parents[1] / "README.md"
#: the names the issue and the platforms' documentation list, each with its row
PLATFORM_NAMES = {
    **dict.fromkeys(["OUTCOME_SALES", "PRODUCT_CATALOG_SALES", "Sales"], "SALES"),
    **dict.fromkeys(
        [
            "OUTCOME_LEADS",
            "OUTCOME_APP_PROMOTION",
            "CONVERSIONS",
            "LEAD_GENERATION",
            "APP_INSTALLS",
            "Leads",
            "App promotion",
            "Local store visits and promotions",
        ],
        "CONVERSIONS",
    ),
    **dict.fromkeys(["OUTCOME_TRAFFIC", "LINK_CLICKS", "Website traffic"], "TRAFFIC"),
    **dict.fromkeys(
        [
            "OUTCOME_AWARENESS",
            "REACH",
            "BRAND_AWARENESS",
            "LOCAL_AWARENESS",
            "STORE_VISITS",
            "Brand awareness and reach",
            "Awareness and consideration",
        ],
        "AWARENESS",
    ),
    **dict.fromkeys(
        [
            "OUTCOME_ENGAGEMENT",
            "POST_ENGAGEMENT",
            "PAGE_LIKES",
            "EVENT_RESPONSES",
            "VIDEO_VIEWS",
            "MESSAGES",
            "OFFER_CLAIMS",
            "Product and brand consideration",
        ],
        "ENGAGEMENT",
    ),
    "Create a campaign without a goal's guidance": DEFAULT_OBJECTIVE,
}


def test_the_readme_shows_the_table_of_the_code():
    text = README.read_text(encoding="utf-8")
    shown = re.search(r"<!-- objectives:start -->\n(.*?)\n<!-- objectives:end -->", text, re.S)
    assert shown is not None and shown.group(1) == objectives.markdown_table()


def test_every_name_maps_to_one_of_the_six_weight_rows():
    assert set(WEIGHT_ROWS) == set(OBJECTIVE_WEIGHTS)
    assert {entry.row for entry in PLATFORM_OBJECTIVES} == set(WEIGHT_ROWS)
    rows_by_name = pd.DataFrame(PLATFORM_OBJECTIVES).assign(key=lambda t: t["name"].str.upper())
    assert rows_by_name.groupby("key")["row"].nunique().eq(1).all()  # a name on two platforms: one row
    assert set(OBJECTIVE_ROWS) == set(rows_by_name["key"])


@pytest.mark.parametrize(("name", "row"), sorted(PLATFORM_NAMES.items()))
def test_platform_names_map_to_their_row_in_any_case(name, row):
    names = pd.Series([name, name.lower(), f"  {name.upper()} "])
    assert objectives.weight_rows(names).tolist() == [row] * 3
    assert objective_weights(names).tolist() == [list(OBJECTIVE_WEIGHTS[row])] * 3


def test_blank_missing_and_unknown_names_weigh_as_default():
    names = pd.Series(["", None, "  ", "BRANDING", "outcome_sales_v2"], dtype=object)
    assert objectives.weight_rows(names).tolist() == [DEFAULT_OBJECTIVE] * 5


def test_unknown_names_are_counted_as_given_most_rows_first_blanks_left_out():
    names = pd.Series(
        ["Branding", "SALES", "", None, "Branding", "zz", "BRANDING", " Branding "], dtype=object
    )
    assert objectives.unknown_names(names) == {"Branding": 3, "BRANDING": 1, "zz": 1}
