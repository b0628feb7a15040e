"""Campaign objectives: the six reward-weight rows, and the objective names ad platforms export mapped
onto them. One table, read by the rewards (which weights an ad gets) and the import summary (which
names fell back to DEFAULT); README.md shows it (tests/test_objectives.py keeps the two in step).

Names match case-insensitively, surrounding spaces ignored; a name the table lacks gets DEFAULT.
Meta's legacy objectives take the row of the ODAX objective Meta moved them to (OFFER_CLAIMS,
MESSAGES, VIDEO_VIEWS -> OUTCOME_ENGAGEMENT; STORE_VISITS, LOCAL_AWARENESS -> OUTCOME_AWARENESS).
Leads and app promotion weigh like CONVERSIONS: their result is a counted action (a lead, an
install) without revenue, so conversion rate says most. Google's consideration goal rewards
interaction (ENGAGEMENT); its store-visit goal counts visits as conversions (CONVERSIONS).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

DEFAULT_OBJECTIVE: Final = "DEFAULT"
#: the weight rows of genome.rewards.OBJECTIVE_WEIGHTS
WEIGHT_ROWS: Final = ("CONVERSIONS", "SALES", "TRAFFIC", "AWARENESS", "ENGAGEMENT", DEFAULT_OBJECTIVE)


class PlatformObjective(NamedTuple):
    platform: str
    name: str  # as the platform exports it
    row: str  # one of WEIGHT_ROWS


def _rows(platform: str, pairs: tuple[tuple[str, str], ...]) -> tuple[PlatformObjective, ...]:
    return tuple(PlatformObjective(platform, name, row) for name, row in pairs)


PLATFORM_OBJECTIVES: Final = (
    *_rows("Creative Genome", tuple((row, row) for row in WEIGHT_ROWS)),
    *_rows(
        "Meta (ODAX)",
        (
            ("OUTCOME_SALES", "SALES"),
            ("OUTCOME_LEADS", "CONVERSIONS"),
            ("OUTCOME_TRAFFIC", "TRAFFIC"),
            ("OUTCOME_AWARENESS", "AWARENESS"),
            ("OUTCOME_ENGAGEMENT", "ENGAGEMENT"),
            ("OUTCOME_APP_PROMOTION", "CONVERSIONS"),
        ),
    ),
    *_rows(
        "Meta (legacy)",
        (
            ("APP_INSTALLS", "CONVERSIONS"),
            ("BRAND_AWARENESS", "AWARENESS"),
            ("CONVERSIONS", "CONVERSIONS"),
            ("EVENT_RESPONSES", "ENGAGEMENT"),
            ("LEAD_GENERATION", "CONVERSIONS"),
            ("LINK_CLICKS", "TRAFFIC"),
            ("LOCAL_AWARENESS", "AWARENESS"),
            ("MESSAGES", "ENGAGEMENT"),
            ("OFFER_CLAIMS", "ENGAGEMENT"),
            ("PAGE_LIKES", "ENGAGEMENT"),
            ("POST_ENGAGEMENT", "ENGAGEMENT"),
            ("PRODUCT_CATALOG_SALES", "SALES"),
            ("REACH", "AWARENESS"),
            ("STORE_VISITS", "AWARENESS"),
            ("VIDEO_VIEWS", "ENGAGEMENT"),
        ),
    ),
    *_rows(
        "Google Ads",
        (
            ("Sales", "SALES"),
            ("Leads", "CONVERSIONS"),
            ("Website traffic", "TRAFFIC"),
            ("Product and brand consideration", "ENGAGEMENT"),
            ("Brand awareness and reach", "AWARENESS"),
            ("Awareness and consideration", "AWARENESS"),
            ("App promotion", "CONVERSIONS"),
            ("Local store visits and promotions", "CONVERSIONS"),
            ("Create a campaign without a goal's guidance", DEFAULT_OBJECTIVE),
        ),
    ),
)
#: upper-cased objective name -> weight row
OBJECTIVE_ROWS: Final = MappingProxyType({entry.name.upper(): entry.row for entry in PLATFORM_OBJECTIVES})


def weight_rows(objectives: pd.Series) -> pd.Series:
    """The weight row of each objective (same index); blank, missing and unknown names -> DEFAULT.

    Each distinct name is looked up once, so the cost grows with the vocabulary, not the rows.
    """
    codes, distinct = pd.factorize(objectives, use_na_sentinel=True)
    rows = [OBJECTIVE_ROWS.get(str(name).strip().upper(), DEFAULT_OBJECTIVE) for name in distinct]
    table = np.array([*rows, DEFAULT_OBJECTIVE], dtype=object)  # code -1 (missing) takes the last
    return pd.Series(table[codes], index=objectives.index, dtype="str")


def unknown_names(objectives: pd.Series) -> dict[str, int]:
    """Rows per objective name (as given) that the table lacks, most rows first; blanks are not names."""
    names = objectives.dropna().astype("str").str.strip()
    names = names[names.ne("")]
    unknown = names[~names.str.upper().isin(OBJECTIVE_ROWS.keys())]
    counts = unknown.value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {str(name): int(rows) for name, rows in ordered}


def markdown_table() -> str:
    """The table as README.md shows it."""
    lines = ["| Platform | Objective as exported | Weights |", "|---|---|---|"]
    lines += [f"| {entry.platform} | `{entry.name}` | {entry.row} |" for entry in PLATFORM_OBJECTIVES]
    return "\n".join(lines)
