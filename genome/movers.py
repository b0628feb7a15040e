"""What changed: the element values whose label or posterior mean moved at the latest refresh.

Pure: score history in (`Store.score_history` rows, with `brand_id` for several brands), movers
out. For each brand the latest refresh (its newest `as_of`) is compared with the one before it;
labels of both snapshots come from the published rule (`sampling.describe_posteriors`), so a
value only moves to Best the way the Elements page would label it.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from genome import sampling
from genome.settings import Settings

MIN_MEAN_CHANGE: Final = 0.01  # a mean must move at least this much (1 point of reward) to be news
UP: Final = "up"
DOWN: Final = "down"
MOVER_COLUMNS: Final = (
    "brand_id", "element_name", "element_value", "direction", "mean_before", "mean_after", "change",
    "label_before", "label_after", "own_ads_before", "own_ads_after", "before", "after",
)  # fmt: skip
LABEL_RANK: Final = {sampling.LOW: 0, sampling.LEARNING: 1, sampling.GOOD: 2, sampling.BEST: 3}
HISTORY_COLUMNS: Final = (
    "as_of", "element_name", "element_value", "alpha", "beta", "mean_reward", "total_observations",
)  # fmt: skip


def snapshot_dates(history: pd.DataFrame) -> pd.DataFrame:
    """Per brand its latest refresh date (`after`) and the one before it (`before`, NaT if none)."""
    frame = _with_brand(history)
    dates = frame[["brand_id", "as_of"]].drop_duplicates().sort_values(["brand_id", "as_of"])
    newest = dates.groupby("brand_id", sort=True)["as_of"].agg(
        after="last", before=lambda s: s.iloc[-2] if len(s) > 1 else pd.NaT
    )
    return newest.reset_index()


def movers(
    history: pd.DataFrame, settings: Settings, min_change: float = MIN_MEAN_CHANGE, labels: bool = True
) -> pd.DataFrame:
    """Values whose label changed, or whose posterior mean moved by at least `min_change`, between
    each brand's previous and latest refresh (MOVER_COLUMNS), biggest moves first.

    `direction` is up when the label rose (Low < Learning < Good < Best) or, the label unchanged,
    the mean rose. A value new at the latest refresh compares with nothing (mean_before NaN) and
    counts only when it arrives with a label other than Learning. Brands with one refresh give no rows.
    With `labels=False` (many brands at once: labels need a Monte Carlo P(best) per brand and
    dimension) only mean moves count and the label columns are empty.
    """
    frame = _with_brand(history)
    if frame.empty:
        return _empty()
    dates = snapshot_dates(frame).dropna(subset=["before"])
    if dates.empty:
        return _empty()
    frame = frame.merge(dates, on="brand_id")
    after = _labelled(frame.loc[frame["as_of"] == frame["after"]], settings, labels)
    before = _labelled(frame.loc[frame["as_of"] == frame["before"]], settings, labels)
    keys = ["brand_id", "element_name", "element_value"]
    joined = after.merge(before, on=keys, how="left", suffixes=("_after", "_before"))
    change = joined["mean_after"] - joined["mean_before"]
    rank_after = joined["label_after"].map(LABEL_RANK)
    rank_before = joined["label_before"].map(LABEL_RANK)
    label_moved = joined["label_before"].notna() & (joined["label_after"] != joined["label_before"])
    arrived = (
        joined["mean_before"].isna()
        & joined["label_after"].notna()
        & (joined["label_after"] != sampling.LEARNING)
    )
    moved = label_moved | arrived | (change.abs() >= min_change)
    rising = np.where(label_moved, rank_after > rank_before, change.fillna(0) >= 0)
    result = joined.assign(
        direction=np.where(rising, UP, DOWN),
        change=change,
        before=joined["brand_id"].map(dates.set_index("brand_id")["before"]),
        after=joined["brand_id"].map(dates.set_index("brand_id")["after"]),
        _size=change.abs().fillna(0) + label_moved.astype(float) + arrived.astype(float),
    ).loc[moved]
    result = result.sort_values(
        ["_size", "brand_id", "element_name", "element_value"], ascending=[False, True, True, True]
    )
    return result[list(MOVER_COLUMNS)].reset_index(drop=True)


def _labelled(snapshot: pd.DataFrame, settings: Settings, labels: bool) -> pd.DataFrame:
    """brand_id, element_name, element_value, mean, label, own_ads of one snapshot per brand (label
    None without `labels`)."""
    if not labels:
        return pd.DataFrame(
            {
                "brand_id": snapshot["brand_id"].to_numpy(),
                "element_name": snapshot["element_name"].to_numpy(),
                "element_value": snapshot["element_value"].to_numpy(),
                "mean": snapshot["mean_reward"].to_numpy(dtype=float),
                "label": None,
                "own_ads": snapshot["total_observations"].to_numpy(dtype=float),
            }
        )
    parts = [
        sampling.describe_posteriors(rows, settings)[
            ["element_name", "element_value", "mean", "label", "observations"]
        ].assign(brand_id=brand_id)
        for brand_id, rows in snapshot.groupby("brand_id", sort=True)  # one snapshot per brand
    ]
    if not parts:
        return pd.DataFrame(columns=["brand_id", "element_name", "element_value", "mean", "label", "own_ads"])
    frame = pd.concat(parts, ignore_index=True)
    return frame.rename(columns={"observations": "own_ads"})


def _with_brand(history: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in HISTORY_COLUMNS if column not in history.columns]
    if missing:
        raise ValueError(f"score history lacks column(s): {', '.join(missing)}")
    frame = history if "brand_id" in history.columns else history.assign(brand_id="")
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in MOVER_COLUMNS})
