"""One contract suite for every store backend: the same data, the same exact expectations.

The `store` fixture (tests/conftest.py) gives a fresh SQLite file and a fresh migrated Postgres
database. The refresh and validation computes here are small and deterministic, so every stored
number is known exactly; the end-to-end tests at the bottom run the real core through the store.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import psycopg
import pytest

from genome import jobs
from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshInputs, RefreshOutputs, ValidateInputs, ValidateOutputs
from genome.settings import Settings
from genome.store import frames, open_store
from genome.store.sqlite import sqlite_path
from genome.vocabulary import ALERT_ACTION_COLUMNS

AS_OF = date(2024, 3, 10)
LATER, LATEST = date(2024, 3, 11), date(2024, 3, 12)  # later validations of the same data
BRANDS = pd.DataFrame(
    {
        "id": ["b1", "b2"],
        "name": ["Brand One", "Brand Two"],
        "organization_id": ["org-1", None],
        "cross_brand_sharing": [True, False],
    }
)
ALL_DAYS = (date(2000, 1, 1), date(2199, 12, 31))  # a brand_stats approval window holding every ad
ADS = pd.DataFrame(
    {
        "ad_id": ["a1", "a2", "a3", "a4"],
        "brand_id": ["b1", "b1", "b1", "b2"],
        "created_at": pd.to_datetime(
            ["2024-03-01 09:30", "2024-03-02 00:00", "2024-03-03 00:00", "2024-03-01 00:00"]
        ),
        "final_status": ["approved", "rejected", "approved", "pending"],
        "is_imported": [False, True, False, False],
        "pre_gen_score": [0.6, np.nan, 0.4, 0.5],
        "element_tags": [
            json.dumps({"hook_type": "question", "color_mode": "dark", "untracked": "x"}),
            json.dumps({"hook_type": "statement", "canvas_size": 1080}),
            json.dumps({"hook_type": "question", "color_mode": ""}),
            json.dumps({"hook_type": "question", "color_mode": None}),
        ],
    }
)
PERFORMANCE = pd.DataFrame(
    {
        "ad_id": ["a1", "a1", "a1", "a2", "a4"],
        "date": pd.to_datetime(["2024-03-02", "2024-03-05", "2024-03-20", "2024-03-03", "2024-03-02"]),
        "impressions": [1000, 1000, 1000, 400, 2000],
        "clicks": [20, 10, 10, 8, 40],
        "conversions": [2, 1, 0, 0, 4],
        "spend": [10.0, 10.0, 5.0, 4.0, 20.0],
        "revenue": [30.0, 10.0, 0.0, 0.0, 50.0],
        "campaign_objective": ["SALES", "TRAFFIC", None, None, "CONVERSIONS"],
    }
)
DTYPES = {
    "str": "str",
    "float": "float64",
    "int": "int64",
    "bool": "bool",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "json": "object",
}
# simple_refresh on the data above, as of AS_OF: a1 ctr 30/2000 -> 0.75, a4 ctr 0.02 -> 1.0
EXPECTED_REWARDS = {"a1": 0.75, "a4": 1.0}
EXPECTED_SCORES = {
    ("b1", "color_mode", "dark"): (1.75, 1.25, 1.0),
    ("b1", "hook_type", "question"): (1.75, 1.25, 1.0),
    ("b2", "hook_type", "question"): (2.0, 1.0, 1.0),
}


def simple_refresh(inputs: RefreshInputs) -> RefreshOutputs:
    """Reward = min(1, 50 × CTR) for ads with ≥ 500 impressions; Beta(1 + Σr, 1 + Σ(1 − r)) per value."""
    ads = inputs.ads[inputs.ads["impressions"] >= 500]
    ctr = ads["clicks"] / ads["impressions"]
    rewards = pd.DataFrame(
        {
            "ad_id": ads["ad_id"],
            "brand_id": ads["brand_id"],
            "reward_score": np.minimum(1.0, 50 * ctr),
            "ctr": ctr,
            "ctr_score": np.minimum(1.0, 50 * ctr),
            "ctr_weight": 1.0,
            "conversion_weight": 0.0,
            "roas_weight": 0.0,
            "campaign_objective": ads["campaign_objective"],
            "maturity": "ctr",
            "impressions_at_reward": ads["impressions"],
            "matured_at": ads["first_date"] + pd.Timedelta(days=3),
        }
    )
    rows = inputs.elements.merge(rewards[["ad_id", "reward_score"]], on="ad_id")
    grouped = rows.groupby(["brand_id", "element_name", "element_value"], as_index=False).agg(
        successes=("reward_score", "sum"), observations=("reward_score", "size")
    )
    scores = grouped.assign(
        alpha=1 + grouped["successes"],
        beta=1 + grouped["observations"] - grouped["successes"],
        prior_alpha=1.0,
        prior_beta=1.0,
        prior_source="uniform",
        total_observations=grouped["observations"].astype(float),
    )
    scores["mean_reward"] = scores["alpha"] / (scores["alpha"] + scores["beta"])
    return RefreshOutputs(rewards=rewards, scores=scores, summary={"ads_seen": len(inputs.ads)})


def slow_refresh(inputs: RefreshInputs) -> RefreshOutputs:
    """simple_refresh that takes a moment, so two concurrent jobs overlap."""
    time.sleep(0.3)
    return simple_refresh(inputs)


def failing_refresh(inputs: RefreshInputs) -> RefreshOutputs:
    raise RuntimeError("compute blew up")


def refresh_violating_a_check(inputs: RefreshInputs) -> RefreshOutputs:
    """Rewards fine, scores refused by the database: the rewards already written must roll back."""
    outputs = simple_refresh(inputs)
    return RefreshOutputs(rewards=outputs.rewards, scores=outputs.scores.assign(alpha=-1.0))


def validation(actions: list[dict], metric_value: float = 0.1):
    """A validation compute returning fixed metrics for each brand and the given alert actions."""

    def compute(inputs: ValidateInputs) -> ValidateOutputs:
        metrics = pd.DataFrame(
            {
                "brand_id": list(inputs.brand_ids),
                "metric_name": "approval_rate",
                "metric_value": metric_value,
                "warning": 0.2,
                "critical": 0.1,
            }
        )
        return ValidateOutputs(
            metrics=metrics, actions=pd.DataFrame(actions, columns=list(ALERT_ACTION_COLUMNS))
        )

    return compute


def alert_action(action: str, alert_id: int | None = None, severity: str = "warning", value: float = 0.15):
    return {
        "action": action,
        "alert_id": alert_id,
        "brand_id": "b1",
        "alert_type": "approval_rate",
        "severity": severity,
        "metric_value": value,
        "threshold_value": 0.2,
        "message": f"approval rate {value}",
    }


def loaded(store):
    store.save_brands(BRANDS)
    store.import_ads(ADS)
    store.import_performance(PERFORMANCE)
    return store


def state(store) -> dict:
    """Everything a job writes, without the columns that hold wall-clock times."""
    return {
        "rewards": store.rewards().drop(columns="computed_at"),
        "scores": store.scores().drop(columns="last_updated"),
        "history": store.score_history("b1"),
        "history_b2": store.score_history("b2"),
    }


def assert_same_state(left: dict, right: dict) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


# --- imports ------------------------------------------------------------------------------------------
def test_import_ads_inserts_then_a_reimport_changes_nothing(store):
    store.save_brands(BRANDS)
    first = store.import_ads(ADS)
    second = store.import_ads(ADS)
    assert {k: first[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 4,
        "updated": 0,
        "unchanged": 0,
    }
    assert {k: second[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 4,
    }
    assert second["job_id"] > first["job_id"]
    assert len(store.ad_aggregates(None, AS_OF)) == 4


def test_import_ads_updates_only_changed_rows_and_creates_unknown_brands(store):
    store.import_ads(ADS)
    changed = ADS.assign(final_status=["approved", "approved", "approved", "pending"])
    counts = store.import_ads(pd.concat([changed, ADS.iloc[[0]].assign(ad_id="a9", brand_id="b9")]))
    assert {k: counts[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 3,
    }
    assert store.brands()["id"].tolist() == ["b1", "b2", "b9"]
    assert store.brands().set_index("id").loc["b9", "name"] == "b9"


def test_import_performance_upserts_by_ad_and_date(store):
    store.import_ads(ADS)
    assert store.import_performance(PERFORMANCE)["inserted"] == 5
    again = store.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 39]))
    assert {k: again[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 0,
        "updated": 1,
        "unchanged": 4,
    }
    ads = store.ad_aggregates(["b2"], AS_OF)
    assert ads["clicks"].tolist() == [39.0]


def test_performance_for_an_unknown_ad_is_refused_and_nothing_is_written(store):
    store.import_ads(ADS)
    with pytest.raises(StoreError) as refused:
        store.import_performance(pd.concat([PERFORMANCE, PERFORMANCE.iloc[[0]].assign(ad_id="nope")]))
    assert refused.value.code is not None
    assert store.ad_aggregates(None, AS_OF)["impressions"].sum() == 0
    failed = store.job_runs(1).iloc[0]
    assert (failed["job_type"], failed["status"]) == ("import_performance", "failed")


def test_known_ad_ids(store):
    store.import_ads(ADS)
    assert store.known_ad_ids(["a1", "a4", "zz"]) == {"a1", "a4"}


def test_save_brands_upserts(store):
    assert store.save_brands(BRANDS) == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert store.save_brands(BRANDS) == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert store.save_brands(BRANDS.assign(cross_brand_sharing=[False, False])) == {
        "inserted": 0,
        "updated": 1,
        "unchanged": 1,
    }
    brands = store.brands()
    assert brands["cross_brand_sharing"].tolist() == [False, False]
    assert brands["organization_id"].isna().tolist() == [False, True]


def test_save_brands_keeps_what_a_row_leaves_null(store):
    store.save_brands(BRANDS)
    created = store.brands()["created_at"].tolist()
    kept = pd.DataFrame({"id": ["b1", "b2"], "organization_id": ["", "org-2"]})
    assert store.save_brands(kept) == {"inserted": 0, "updated": 2, "unchanged": 0}
    brands = store.brands()
    assert brands[["name", "cross_brand_sharing"]].to_dict("list") == {
        "name": ["Brand One", "Brand Two"],
        "cross_brand_sharing": [True, False],
    }
    assert brands["organization_id"].tolist()[1] == "org-2" and pd.isna(brands["organization_id"].iloc[0])
    assert brands["created_at"].tolist() == created


def test_save_brands_takes_the_last_row_of_a_repeated_id(store):
    repeated = pd.DataFrame({"id": ["b1", "b1"], "name": ["First", "Last"]})
    assert store.save_brands(repeated) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert store.brands()["name"].tolist() == ["Last"]


def test_save_brands_gives_a_new_brand_the_defaults(store):
    assert store.save_brands(pd.DataFrame({"id": ["b9"], "name": [""]})) == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert store.brands()[["id", "name", "cross_brand_sharing"]].values.tolist() == [["b9", "b9", False]]


# --- reads --------------------------------------------------------------------------------------------
def test_ad_aggregates_count_rows_up_to_as_of_and_keep_ads_without_performance(store):
    ads = loaded(store).ad_aggregates(None, AS_OF).set_index("ad_id")
    assert ads.loc["a1", ["impressions", "clicks", "conversions", "spend", "revenue"]].tolist() == [
        2000.0,
        30.0,
        3.0,
        20.0,
        40.0,
    ]
    assert ads.loc["a1", "first_date"] == pd.Timestamp("2024-03-02")
    assert ads.loc["a1", "last_date"] == pd.Timestamp("2024-03-05")
    assert ads["campaign_objective"].tolist() == ["TRAFFIC", "", "", "CONVERSIONS"]
    assert ads.loc["a3", ["impressions", "clicks", "spend"]].tolist() == [0.0, 0.0, 0.0]
    assert pd.isna(ads.loc["a3", "first_date"])
    assert ads.loc["a1", "created_at"] == pd.Timestamp("2024-03-01 09:30")
    assert ads["is_imported"].tolist() == [False, True, False, False]
    assert np.isnan(ads.loc["a2", "pre_gen_score"])


@pytest.mark.parametrize(
    ("as_of", "expected_ads"), [(date(2024, 3, 1), ["a1", "a4"]), (date(2024, 2, 29), [])]
)
def test_ads_created_after_as_of_are_not_part_of_it(store, as_of, expected_ads):
    assert loaded(store).ad_aggregates(None, as_of)["ad_id"].tolist() == expected_ads


def test_ad_aggregates_of_chosen_brands(store):
    assert loaded(store).ad_aggregates(["b2"], AS_OF)["ad_id"].tolist() == ["a4"]


@pytest.mark.parametrize(
    ("method", "args", "spec"),
    [
        ("ad_aggregates", (None, AS_OF), frames.AD_AGGREGATES),
        ("brands", (), frames.BRANDS),
        ("rewards", (), frames.REWARDS),
        ("scores", (), frames.SCORES),
        ("score_history", ("b1",), frames.SCORE_HISTORY),
        ("brand_overview", (0.7,), frames.BRAND_OVERVIEW),
        ("alerts", (), frames.ALERTS),
        ("metric_history", (), frames.METRIC_HISTORY),
        ("job_runs", (), frames.JOB_RUNS),
    ],
)
@pytest.mark.parametrize("refreshed", [False, True])
def test_reads_return_the_frame_dtypes(store, method, args, spec, refreshed):
    loaded(store)
    if refreshed:
        store.refresh(None, AS_OF, simple_refresh)
        store.validate(None, AS_OF, validation([alert_action("open")]))
    frame = getattr(store, method)(*args)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == {
        name: DTYPES[kind] for name, kind in spec.items()
    }


def test_elements_are_exploded_and_filtered_to_tracked_elements(store):
    elements = loaded(store).ad_elements(None, ["hook_type", "color_mode", "canvas_size"])
    assert list(elements.itertuples(index=False, name=None)) == [
        ("a1", "b1", "color_mode", "dark"),
        ("a1", "b1", "hook_type", "question"),
        ("a2", "b1", "canvas_size", "1080"),
        ("a2", "b1", "hook_type", "statement"),
        ("a3", "b1", "hook_type", "question"),
        ("a4", "b2", "hook_type", "question"),
    ]


def test_refresh_reads_only_tracked_elements(store):
    seen = {}

    def spy(inputs):
        seen["elements"] = set(inputs.elements["element_name"])
        seen["brands"] = inputs.brands["id"].tolist()
        return simple_refresh(inputs)

    loaded(store).refresh(["b1"], AS_OF, spy)
    assert seen == {"elements": {"hook_type", "color_mode", "canvas_size"}, "brands": ["b1", "b2"]}


# --- refresh ------------------------------------------------------------------------------------------
def test_refresh_writes_rewards_scores_history_and_the_job_run(store):
    summary = loaded(store).refresh(None, AS_OF, simple_refresh)
    assert {k: summary[k] for k in ("rewards_new", "rewards_updated", "rewards_unchanged", "scores")} == {
        "rewards_new": 2,
        "rewards_updated": 0,
        "rewards_unchanged": 0,
        "scores": 3,
    }
    assert summary["brand_ids"] == ["b1", "b2"] and summary["as_of"] == "2024-03-10"
    assert summary["ads_seen"] == 4
    rewards = store.rewards().set_index("ad_id")
    assert rewards["reward_score"].to_dict() == EXPECTED_REWARDS
    assert rewards.loc["a1", ["ctr", "ctr_weight", "impressions_at_reward"]].tolist() == [
        0.015,
        1.0,
        2000.0,
    ]
    assert np.isnan(rewards.loc["a1", "roas"])
    assert rewards.loc["a1", "matured_at"] == pd.Timestamp("2024-03-05")
    assert rewards["campaign_objective"].tolist() == ["TRAFFIC", "CONVERSIONS"]
    scores = store.scores()
    assert {
        (r.brand_id, r.element_name, r.element_value): (r.alpha, r.beta, r.total_observations)
        for r in scores.itertuples()
    } == EXPECTED_SCORES
    history = store.score_history("b1")
    assert history["as_of"].unique().tolist() == [pd.Timestamp(AS_OF)]
    assert history["alpha"].tolist() == [1.75, 1.75]
    run = store.job_runs(1).iloc[0]
    assert (run["id"], run["job_type"], run["status"]) == (summary["job_id"], "refresh", "succeeded")
    assert run["summary"]["rewards_new"] == 2


def test_a_second_refresh_with_the_same_data_changes_nothing(store):
    loaded(store).refresh(None, AS_OF, simple_refresh)
    rewards, scores = store.rewards(), store.scores()
    summary = store.refresh(None, AS_OF, simple_refresh)
    assert {
        k: summary[k] for k in ("rewards_new", "rewards_updated", "rewards_unchanged", "elements_updated")
    } == {
        "rewards_new": 0,
        "rewards_updated": 0,
        "rewards_unchanged": 2,
        "elements_updated": 0,
    }
    pd.testing.assert_frame_equal(store.rewards(), rewards)  # computed_at kept
    pd.testing.assert_frame_equal(store.scores(), scores)  # last_updated kept
    assert len(store.score_history("b1")) == 2


def test_a_refresh_updates_changed_rewards_and_removes_stale_ones(store):
    loaded(store).refresh(None, AS_OF, simple_refresh)
    store.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10]))  # a4: ctr 0.005
    summary = store.refresh(None, AS_OF, simple_refresh)
    assert (summary["rewards_updated"], summary["rewards_unchanged"]) == (1, 1)
    assert store.rewards().set_index("ad_id")["reward_score"].to_dict() == {"a1": 0.75, "a4": 0.25}
    earlier = store.refresh(None, date(2024, 3, 2), simple_refresh)  # a1 had 1000 impressions: still in
    assert earlier["rewards_removed"] == 0
    removed = store.refresh(None, date(2024, 3, 1), simple_refresh)  # no performance yet
    assert removed["rewards_removed"] == 2
    assert store.rewards().empty and store.scores().empty
    assert store.score_history("b1")["as_of"].unique().tolist() == [
        pd.Timestamp("2024-03-02"),
        pd.Timestamp(AS_OF),
    ]


def test_refreshing_one_brand_leaves_the_others_alone(store):
    loaded(store).refresh(None, AS_OF, simple_refresh)
    store.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10]))
    store.refresh(["b1"], AS_OF, simple_refresh)
    assert store.rewards("b2")["reward_score"].tolist() == [1.0]
    assert store.job_runs(1).iloc[0]["brand_id"] == "b1"


def settings_refresh(inputs: RefreshInputs, settings: Settings) -> RefreshOutputs:
    """simple_refresh given settings the way the service gives them to jobs.compute_refresh."""
    return simple_refresh(inputs)


SETTINGS = Settings()


def test_a_refresh_with_nothing_new_since_the_last_is_skipped_and_recorded(store):
    first = loaded(store).refresh(None, AS_OF, settings_refresh, SETTINGS)
    rewards, scores = store.rewards(), store.scores()
    second = store.refresh(None, AS_OF, settings_refresh, SETTINGS)
    assert second["skipped"] is True
    assert {
        k: second[k] for k in ("rewards_new", "rewards_updated", "rewards_unchanged", "rewards_removed")
    } == {
        "rewards_new": 0,
        "rewards_updated": 0,
        "rewards_unchanged": 2,
        "rewards_removed": 0,
    }
    assert (second["scores"], second["brand_ids"], second["as_of"]) == (
        first["scores"],
        ["b1", "b2"],
        "2024-03-10",
    )
    runs = store.job_runs(2)
    assert runs["id"].tolist() == [second["job_id"], first["job_id"]]
    assert runs["status"].tolist() == ["succeeded", "succeeded"]
    assert runs.iloc[0]["summary"]["skipped"] is True
    assert store.refresh(None, AS_OF, settings_refresh, SETTINGS)["skipped"] is True  # a skip chains
    pd.testing.assert_frame_equal(store.rewards(), rewards)
    pd.testing.assert_frame_equal(store.scores(), scores)


def test_every_backend_marks_a_refresh_with_the_newest_write_it_saw(store):
    """One skip rule for every backend (common.unchanged_refresh): a refresh records its fingerprint
    and the newest write job when it checked; a skip records the refresh it skipped after."""
    imported = loaded(store).import_performance(PERFORMANCE)["job_id"]
    first = store.refresh(None, AS_OF, settings_refresh, SETTINGS)
    second = store.refresh(None, AS_OF, settings_refresh, SETTINGS)
    assert (first["last_write_job_id"], second["last_write_job_id"]) == (imported, first["job_id"])
    assert first["fingerprint"] == second["fingerprint"]
    assert "fingerprint" not in store.refresh(None, AS_OF, simple_refresh)


def test_a_job_given_settings_computes_with_exactly_those(store):
    given = Settings(min_impressions=7)
    seen = []

    def refresh_seeing(inputs: RefreshInputs, settings: Settings) -> RefreshOutputs:
        seen.append(settings)
        return simple_refresh(inputs)

    def validate_seeing(inputs: ValidateInputs, settings: Settings) -> ValidateOutputs:
        seen.append(settings)
        return validation([])(inputs)

    loaded(store).refresh(None, AS_OF, refresh_seeing, given)
    store.validate(None, AS_OF, validate_seeing, given)
    assert [settings is given for settings in seen] == [True, True]


def test_every_job_reports_its_duration(store):
    reports = [store.import_ads(ADS), store.import_performance(PERFORMANCE)]
    reports += [store.refresh(None, AS_OF, simple_refresh), store.validate(None, AS_OF, validation([]))]
    assert all(report["duration_seconds"] >= 0 for report in reports)


CHANGES_SINCE_THE_LAST_REFRESH = {
    "new performance": lambda store: store.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10])),
    "same performance again": lambda store: store.import_performance(PERFORMANCE),
    "an ad changed": lambda store: store.import_ads(ADS.assign(final_status="approved")),
    "a brand renamed": lambda store: store.save_brands(BRANDS.assign(name=["Brand 1", "Brand Two"])),
    "a brand's sharing turned on": lambda store: store.save_brands(
        pd.DataFrame({"id": ["b2"], "cross_brand_sharing": [True]})
    ),
    "a brand joined an organization": lambda store: store.save_brands(
        pd.DataFrame({"id": ["b2"], "organization_id": ["org-1"]})
    ),
    "another brand set refreshed": lambda store: store.refresh(["b1"], AS_OF, settings_refresh, SETTINGS),
    "a refresh of another as_of": lambda store: store.refresh(
        None, date(2024, 3, 9), settings_refresh, SETTINGS
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES_SINCE_THE_LAST_REFRESH))
def test_a_refresh_after_a_write_recomputes(store, change):
    loaded(store).refresh(None, AS_OF, settings_refresh, SETTINGS)
    CHANGES_SINCE_THE_LAST_REFRESH[change](store)
    summary = store.refresh(None, AS_OF, settings_refresh, SETTINGS)
    assert "skipped" not in summary
    expected_a4 = 0.25 if change == "new performance" else 1.0
    assert store.rewards().set_index("ad_id")["reward_score"].to_dict() == {"a1": 0.75, "a4": expected_a4}


@pytest.mark.parametrize(
    ("as_of", "compute", "settings", "brand_ids"),
    [
        (date(2024, 3, 9), settings_refresh, SETTINGS, None),
        (AS_OF, settings_refresh, Settings(min_impressions=100), None),
        (AS_OF, settings_refresh, SETTINGS, ["b1"]),
        (AS_OF, simple_refresh, None, None),  # a refresh given no settings is never skipped
    ],
)
def test_a_refresh_of_other_inputs_recomputes(store, as_of, compute, settings, brand_ids):
    loaded(store).refresh(None, AS_OF, settings_refresh, SETTINGS)
    summary = store.refresh(brand_ids, as_of, compute, settings)
    assert "skipped" not in summary
    assert summary["as_of"] == as_of.isoformat()


def test_reads_see_writes_of_this_store_and_of_another_connection(store, store_url):
    loaded(store).refresh(None, AS_OF, simple_refresh)
    assert store.brand_stats("b1", ALL_DAYS) == {"matured_ads": 1, "approved": 2, "rejected": 0}
    assert store.scores("b1")["alpha"].tolist() == [1.75, 1.75]
    store.import_ads(ADS.assign(final_status="rejected"))  # through this store
    assert store.brand_stats("b1", ALL_DAYS) == {"matured_ads": 1, "approved": 0, "rejected": 2}
    assert store.scores("b2")["alpha"].tolist() == [2.0]
    other = open_store(store_url, Settings())
    try:
        other.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10]))
        other.refresh(None, AS_OF, simple_refresh)  # a1 and a4 matured, a4 now rewarded 0.25
    finally:
        other.close()
    assert store.brand_stats("b2", ALL_DAYS) == {"matured_ads": 1, "approved": 0, "rejected": 1}
    assert store.scores("b2")["alpha"].tolist() == [1.25]
    changed = store.scores("b1")
    changed.loc[:, "alpha"] = 0.0  # a caller's change stays in its own frame
    assert store.scores("b1")["alpha"].tolist() == [1.75, 1.75]


@pytest.mark.parametrize("compute", [failing_refresh, refresh_violating_a_check])
def test_a_failed_refresh_leaves_the_database_as_it_was_and_records_the_failure(store, compute):
    loaded(store).refresh(None, AS_OF, simple_refresh)
    before = state(store)
    store.import_performance(PERFORMANCE.assign(clicks=[20, 10, 10, 8, 10]))
    expected_error = RuntimeError if compute is failing_refresh else StoreError
    with pytest.raises(expected_error):
        store.refresh(None, AS_OF, compute)
    assert_same_state(state(store), before)
    failed = store.job_runs(1).iloc[0]
    assert (failed["job_type"], failed["status"]) == ("refresh", "failed")
    assert failed["error"].startswith(
        "RuntimeError: compute blew up" if compute is failing_refresh else "StoreError"
    )
    assert failed["summary"]["brand_ids"] == ["b1", "b2"]


def test_refreshing_an_unknown_brand_raises_not_found(store):
    with pytest.raises(NotFound):
        loaded(store).refresh(["nope"], AS_OF, simple_refresh)
    assert store.job_runs()["job_type"].tolist() == ["import_performance", "import_ads"]


def _refresh_in_process(url: str, barrier, results) -> None:
    store = open_store(url, Settings())
    barrier.wait()
    try:
        results.put(store.refresh(None, AS_OF, slow_refresh))
    except Exception as error:  # reported to the test instead of hanging it
        results.put({"error": repr(error)})
    finally:
        store.close()


def test_two_concurrent_refreshes_in_two_processes_end_as_one(store, store_url):
    loaded(store).close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_refresh_in_process, args=(store_url, barrier, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    summaries = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert [s.get("error") for s in summaries] == [None, None]
    # serialised: the second read what the first committed
    assert sorted((s["rewards_new"], s["rewards_unchanged"]) for s in summaries) == [(0, 2), (2, 0)]
    reopened = open_store(store_url, Settings())
    try:
        assert reopened.rewards().set_index("ad_id")["reward_score"].to_dict() == EXPECTED_REWARDS
        assert len(reopened.scores()) == 3 and len(reopened.score_history("b1")) == 2
    finally:
        reopened.close()


# --- validation and alerts ----------------------------------------------------------------------------
def test_validation_and_the_alert_lifecycle(store):
    loaded(store)
    opened = store.validate(["b1"], AS_OF, validation([alert_action("open")]))
    assert (opened["alerts_opened"], opened["alerts_updated"], opened["metrics"]) == (1, 0, 1)
    alert = store.alerts().iloc[0]
    assert (alert["status"], alert["severity"], alert["occurrences"], alert["metric_value"]) == (
        "open",
        "warning",
        1,
        0.15,
    )

    seen = {}

    def update(inputs):
        seen["alerts"] = inputs.alerts["id"].tolist()
        return validation([alert_action("update", int(alert["id"]), "critical", 0.05)])(inputs)

    assert store.validate(["b1"], LATER, update)["alerts_updated"] == 1
    assert seen["alerts"] == [alert["id"]]
    store.validate(["b1"], LATEST, validation([alert_action("update", int(alert["id"]), "warning", 0.12)]))
    current = store.alerts().iloc[0]
    assert (current["severity"], current["occurrences"], current["metric_value"]) == ("critical", 3, 0.12)

    acknowledged = store.set_alert_status(
        int(alert["id"]), "acknowledged", "ops", "looking", datetime.now(UTC)
    )
    assert (acknowledged["status"], acknowledged["acknowledged_by"], acknowledged["ack_note"]) == (
        "acknowledged",
        "ops",
        "looking",
    )
    assert store.alerts("unresolved")["id"].tolist() == [alert["id"]]
    # one frame with an open (no id) and a resolve: pandas makes the id column float
    actions = [
        alert_action("resolve", int(alert["id"])),
        {**alert_action("open"), "alert_type": "winner_rate"},
    ]
    resolved = store.validate(["b1"], LATEST, validation(actions, 0.5))
    assert (resolved["alerts_resolved"], resolved["alerts_opened"]) == (1, 1)
    final = store.alerts("resolved").iloc[0]
    assert (final["resolved_by"], final["resolution_note"]) == ("system", "approval rate 0.15")
    assert store.alerts("unresolved")["alert_type"].tolist() == ["winner_rate"]
    with pytest.raises(GenomeError, match="already resolved"):
        store.set_alert_status(int(alert["id"]), "resolved", "ops", "", datetime.now(UTC))
    history = store.metric_history("b1")
    assert history[["as_of", "metric_name", "metric_value"]].values.tolist() == [
        [pd.Timestamp(day), "approval_rate", value]
        for day, value in [(AS_OF, 0.1), (LATER, 0.1), (LATEST, 0.5)]
    ]


def test_opening_an_alert_that_is_already_unresolved_updates_it(store):
    loaded(store).validate(["b1"], AS_OF, validation([alert_action("open")]))
    again = store.validate(["b1"], LATER, validation([alert_action("open", severity="critical")]))
    assert (again["alerts_opened"], again["alerts_updated"]) == (0, 1)
    alerts = store.alerts()
    assert (len(alerts), alerts.iloc[0]["occurrences"], alerts.iloc[0]["severity"]) == (1, 2, "critical")


def test_after_resolution_a_new_breach_opens_a_new_alert(store):
    loaded(store).validate(["b1"], AS_OF, validation([alert_action("open")]))
    first = int(store.alerts().iloc[0]["id"])
    store.set_alert_status(first, "resolved", "ops", "fixed", datetime.now(UTC))
    store.validate(["b1"], AS_OF, validation([alert_action("open")]))
    assert store.alerts()["status"].tolist() == ["open", "resolved"]


@pytest.mark.parametrize(("alert_id", "error"), [(999, NotFound)])
def test_setting_the_status_of_a_missing_alert_raises(store, alert_id, error):
    with pytest.raises(error):
        store.set_alert_status(alert_id, "acknowledged", "ops", "", datetime.now(UTC))


def test_alert_filters(store):
    loaded(store).validate(
        None, AS_OF, validation([alert_action("open"), {**alert_action("open"), "brand_id": "b2"}])
    )
    assert store.alerts(brand_id="b2")["brand_id"].tolist() == ["b2"]
    assert len(store.alerts("open")) == 2 and store.alerts("acknowledged").empty
    with pytest.raises(GenomeError):
        store.alerts("closed")


def test_brand_overview_aggregates_per_brand(store):
    loaded(store).refresh(["b1"], AS_OF, simple_refresh)
    summary = store.refresh(["b2"], AS_OF, simple_refresh)
    store.validate(["b1"], AS_OF, validation([alert_action("open")]))
    overview = store.brand_overview(0.8).set_index("brand_id")
    counts = ["ads", "matured_ads", "approved", "rejected", "open_alerts", "acknowledged_alerts"]
    assert overview.loc["b1", counts].tolist() == [3, 1, 2, 1, 1, 0]
    assert overview.loc["b2", counts].tolist() == [1, 1, 0, 0, 0, 0]
    assert overview["winner_rate"].tolist() == [0.0, 1.0]
    runs = store.job_runs().set_index("id")
    assert overview.loc["b2", "last_refresh"] == runs.loc[summary["job_id"], "finished_at"]
    assert overview.loc["b1", "last_refresh"] < overview.loc["b2", "last_refresh"]
    assert overview.loc["b1", "name"] == "Brand One"
    alert_id = int(store.alerts("open")["id"].iloc[0])
    store.set_alert_status(alert_id, "acknowledged", "dana", "", datetime.now(UTC))
    acknowledged = store.brand_overview(0.8).set_index("brand_id")
    assert acknowledged.loc["b1", ["open_alerts", "acknowledged_alerts"]].tolist() == [0, 1]


# --- end to end through the real core -----------------------------------------------------------------
def test_the_real_refresh_and_validation_run_through_the_store_and_are_idempotent(store):
    settings = Settings()
    loaded(store)
    captured = {}

    def recording(inputs):
        captured["outputs"] = jobs.compute_refresh(inputs, settings)
        return captured["outputs"]

    first = store.refresh(None, AS_OF, recording)
    expected = captured["outputs"].scores.sort_values(["brand_id", "element_name", "element_value"])
    stored = store.scores()
    assert first["scores"] == len(expected) > 0
    np.testing.assert_allclose(stored["alpha"], expected["alpha"], rtol=1e-12)
    np.testing.assert_allclose(stored["mean_reward"], expected["mean_reward"], rtol=1e-12)
    rewards = store.rewards().set_index("ad_id")
    produced = captured["outputs"].rewards.set_index("ad_id")
    np.testing.assert_allclose(
        rewards.loc[produced.index, "reward_score"], produced["reward_score"], rtol=1e-12
    )
    second = store.refresh(None, AS_OF, jobs.compute_refresh, settings)
    assert (second["rewards_new"], second["rewards_updated"], second["elements_updated"]) == (0, 0, 0)
    report = store.validate(None, AS_OF, jobs.compute_validation, settings)
    assert report["metrics"] == len(store.metric_history())


# --- opening ----------------------------------------------------------------------------------------------
def test_open_store_picks_the_backend_from_the_url(sqlite_url, postgres_database):
    opened = [open_store(url, Settings()) for url in (sqlite_url, postgres_database)]
    opened.append(open_store(postgres_database.replace("postgresql://", "postgres://", 1), Settings()))
    try:
        assert [type(store).__name__ for store in opened] == ["SqliteStore", "PostgresStore", "PostgresStore"]
    finally:
        for store in opened:
            store.close()


def test_a_supabase_url_opens_the_rest_backend():
    store = open_store("https://abcdefgh.supabase.co", Settings(), key="sb_secret_test")
    try:
        assert type(store).__name__ == "SupabaseStore"
    finally:
        store.close()


@pytest.mark.parametrize(
    "url",
    ["mysql://user:hunter2@host/db", "sqlite:///", "sqlite:///:memory:", "sqlite:///no/such/folder/g.db"],
)
def test_unusable_urls_are_refused_without_showing_secrets(url):
    with pytest.raises(GenomeError) as refused:
        open_store(url, Settings())
    assert "hunter2" not in str(refused.value)


def open_connections(store_url: str, settled_at: int) -> int:
    """Connections the store holds, seen from outside: file handles on the SQLite file, or server
    sessions (polled until at most `settled_at`: a closed session leaves pg_stat_activity a moment later)."""
    if store_url.startswith("sqlite"):
        database = os.path.realpath(sqlite_path(store_url))
        handles = [os.path.realpath(os.path.join("/proc/self/fd", fd)) for fd in os.listdir("/proc/self/fd")]
        return handles.count(database)
    deadline = time.monotonic() + 10
    with psycopg.connect(store_url, autocommit=True) as observer:
        while True:
            count = observer.execute(
                "select count(*) from pg_stat_activity"
                " where datname = current_database() and application_name = 'creative-genome'"
            ).fetchone()[0]
            if count <= settled_at or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


def read_in_threads(store, count: int) -> None:
    for _ in range(count):
        worker = threading.Thread(target=store.scores)
        worker.start()
        worker.join()


def test_connections_of_ended_threads_are_closed(store, store_url):
    store.scores()
    read_in_threads(store, 8)
    # this thread's and the last worker's (+ one closed handle SQLite keeps for reuse), not nine
    assert open_connections(store_url, settled_at=2) <= 3
    store.close()
    assert open_connections(store_url, settled_at=0) == 0


@pytest.mark.parametrize("job", ["refresh", "validate"])
def test_jobs_on_an_empty_workspace_do_nothing_and_succeed(store, job):
    compute = {"refresh": simple_refresh, "validate": validation([])}[job]
    summary = getattr(store, job)(None, AS_OF, compute)
    assert summary["brand_ids"] == []
    assert store.job_runs()[["job_type", "status"]].values.tolist() == [[job, "succeeded"]]


def test_reimporting_the_same_values_as_text_changes_nothing(store):
    store.import_ads(ADS)
    store.import_performance(PERFORMANCE)
    as_text = ADS.assign(created_at=ADS["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    rows_as_text = PERFORMANCE.assign(date=PERFORMANCE["date"].dt.strftime("%Y-%m-%d"))
    assert store.import_ads(as_text)["unchanged"] == 4
    assert store.import_performance(rows_as_text)["unchanged"] == 5
