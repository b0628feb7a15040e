"""What changed: movers between each brand's previous and latest refresh (genome.movers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genome import movers, sampling
from genome.settings import Settings

SETTINGS = Settings()


def snapshot(as_of: str, rows: list[tuple[str, str, float, float, int]], brand: str = "b1") -> pd.DataFrame:
    """History rows of one refresh: (element, value, alpha, beta, own ads)."""
    frame = pd.DataFrame(
        rows, columns=["element_name", "element_value", "alpha", "beta", "total_observations"]
    )
    return frame.assign(
        brand_id=brand,
        as_of=pd.Timestamp(as_of),
        mean_reward=frame["alpha"] / (frame["alpha"] + frame["beta"]),
    )


def history(*snapshots: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(snapshots, ignore_index=True)


BEFORE = [
    ("hook_type", "question", 11.0, 9.0, 20),  # Good, then Best
    ("hook_type", "stat", 11.5, 8.5, 20),  # unchanged (and keeps question from Best before)
    ("hook_type", "bold", 9.0, 11.0, 20),  # mean falls
    ("color_mode", "dark", 2.0, 2.0, 2),  # Learning both times, mean rises a little
]
AFTER = [
    ("hook_type", "question", 40.0, 10.0, 50),
    ("hook_type", "stat", 11.5, 8.5, 20),
    ("hook_type", "bold", 9.0, 16.0, 25),
    ("color_mode", "dark", 2.2, 2.0, 3),
]


def test_label_and_mean_moves_are_reported_with_before_and_after():
    found = movers.movers(history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER)), SETTINGS)
    rows = found.set_index("element_value")
    assert set(rows.index) == {"question", "bold", "dark"}  # stat did not move
    question = rows.loc["question"]
    assert (question["label_before"], question["label_after"], question["direction"]) == (
        "Good",
        "Best",
        "up",
    )
    assert question["mean_before"] == pytest.approx(0.55) and question["mean_after"] == pytest.approx(0.8)
    assert (question["own_ads_before"], question["own_ads_after"]) == (20, 50)
    bold = rows.loc["bold"]
    assert bold["direction"] == "down" and bold["change"] == pytest.approx(0.36 - 0.45)
    assert rows.loc["dark", "label_after"] == sampling.LEARNING
    assert found["element_value"].iloc[0] == "question"  # a label move leads
    assert (found["before"] == pd.Timestamp("2026-11-01")).all()
    assert (found["after"] == pd.Timestamp("2026-11-08")).all()


def test_labels_are_the_published_rule_of_each_snapshot():
    frame = history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER))
    found = movers.movers(frame, SETTINGS).set_index("element_value")
    latest = sampling.describe_posteriors(snapshot("2026-11-08", AFTER), SETTINGS).set_index("element_value")
    for value in found.index:
        assert found.loc[value, "label_after"] == latest.loc[value, "label"]


def test_a_small_move_is_not_news_and_the_threshold_is_respected():
    frame = history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER))
    strict = movers.movers(frame, SETTINGS, min_change=0.5)
    assert strict["element_value"].tolist() == ["question"]  # only the label move remains


def test_only_the_last_two_refreshes_are_compared_per_brand():
    older = snapshot("2026-10-01", [("hook_type", "question", 1.0, 30.0, 29)])
    frame = history(older, snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER))
    found = movers.movers(frame, SETTINGS)
    assert found.set_index("element_value").loc["question", "label_before"] == "Good"


def test_brands_are_compared_with_their_own_previous_refresh():
    other_before = snapshot("2026-10-20", [("hook_type", "question", 5.0, 15.0, 18)], brand="b2")
    other_after = snapshot("2026-10-27", [("hook_type", "question", 15.0, 5.0, 18)], brand="b2")
    lone = snapshot("2026-11-08", AFTER, brand="b3")  # one refresh only: nothing to compare
    frame = history(
        snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER), other_before, other_after, lone
    )
    found = movers.movers(frame, SETTINGS)
    assert set(found["brand_id"]) == {"b1", "b2"}
    b2 = found.loc[found["brand_id"] == "b2"].iloc[0]
    assert (b2["label_before"], b2["label_after"], b2["direction"]) == ("Low", "Good", "up")
    assert b2["before"] == pd.Timestamp("2026-10-20")


def test_a_value_new_at_the_latest_refresh_counts_only_with_a_label_beyond_learning():
    after = [*AFTER, ("hook_type", "new_hook", 30.0, 5.0, 35), ("hook_type", "fresh", 1.0, 1.0, 0)]
    found = movers.movers(history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", after)), SETTINGS)
    rows = found.set_index("element_value")
    assert "fresh" not in rows.index
    assert np.isnan(rows.loc["new_hook", "mean_before"]) and rows.loc["new_hook", "direction"] == "up"


@pytest.mark.parametrize("frame", [snapshot("2026-11-08", AFTER), snapshot("2026-11-08", AFTER).iloc[0:0]])
def test_one_refresh_or_none_gives_no_movers(frame):
    found = movers.movers(frame, SETTINGS)
    assert found.empty and list(found.columns) == list(movers.MOVER_COLUMNS)


def test_history_of_one_brand_without_brand_column_works():
    frame = history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER)).drop(columns="brand_id")
    assert len(movers.movers(frame, SETTINGS)) == 3


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="alpha"):
        movers.movers(snapshot("2026-11-08", AFTER).drop(columns="alpha"), SETTINGS)


def test_snapshot_dates_name_the_previous_refresh_or_nat():
    frame = history(
        snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", AFTER), snapshot("2026-11-08", AFTER, "b3")
    )
    dates = movers.snapshot_dates(frame).set_index("brand_id")
    assert dates.loc["b1", "before"] == pd.Timestamp("2026-11-01")
    assert pd.isna(dates.loc["b3", "before"]) and dates.loc["b3", "after"] == pd.Timestamp("2026-11-08")


def test_without_labels_only_mean_moves_count_and_no_monte_carlo_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("labels were computed")

    monkeypatch.setattr(sampling, "describe_posteriors", refuse)
    after = [*AFTER, ("hook_type", "new_hook", 30.0, 5.0, 35)]
    frame = history(snapshot("2026-11-01", BEFORE), snapshot("2026-11-08", after))
    found = movers.movers(frame, SETTINGS, labels=False).set_index("element_value")
    assert set(found.index) == {"question", "bold", "dark"}  # no arrival without a label to show
    assert found["label_after"].isna().all()
    assert found.loc["question", "direction"] == "up" and found.loc["bold", "direction"] == "down"
