import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from genome.monitoring import METRIC_NAMES, decide_alerts, format_values, health_metrics
from genome.settings import Settings, Thresholds
from genome.vocabulary import ALERT_ACTION_COLUMNS, HEALTH_METRIC_COLUMNS

SETTINGS = Settings(min_rate_sample=1)  # the hand-made frames below are small
AS_OF = date(2026, 3, 31)


def days_before(days):
    return pd.Timestamp(AS_OF - timedelta(days=days))


def ads_frame(groups):
    """Ad aggregates (docs/ARCHITECTURE.md) from (count, brand, status, days_old, imported, last_seen_days) groups."""
    rows = [
        (brand, status, days_old, imported, last_seen)
        for count, brand, status, days_old, imported, last_seen in groups
        for _ in range(count)
    ]
    frame = pd.DataFrame(rows, columns=["brand_id", "final_status", "days_old", "is_imported", "last_seen"])
    last_date = pd.Series([days_before(d) for d in frame["last_seen"]], dtype="datetime64[ns]")
    return pd.DataFrame(
        {
            "ad_id": [f"ad-{i}" for i in range(len(frame))],
            "brand_id": frame["brand_id"],
            "is_imported": frame["is_imported"].astype(bool),
            "created_at": pd.Series([days_before(d) for d in frame["days_old"]], dtype="datetime64[ns]"),
            "final_status": frame["final_status"],
            "pre_gen_score": np.nan,
            "impressions": 1000.0,
            "clicks": 20.0,
            "conversions": 1.0,
            "spend": 10.0,
            "revenue": 20.0,
            "first_date": last_date - pd.Timedelta(days=10),
            "last_date": last_date,
            "campaign_objective": "",
        }
    )


def rewards_frame(ads, scores):
    """Rewards for the first len(scores) ads of `ads`."""
    rewarded = ads.iloc[: len(scores)]
    return pd.DataFrame(
        {
            "ad_id": rewarded["ad_id"].to_numpy(),
            "brand_id": rewarded["brand_id"].to_numpy(),
            "reward_score": np.asarray(scores, dtype=float),
            "matured_at": rewarded["first_date"].to_numpy() + np.timedelta64(3, "D"),
        }
    )


def metric_values(metrics, brand_id):
    return metrics[metrics["brand_id"] == brand_id].set_index("metric_name")["metric_value"].to_dict()


# --- health metrics --------------------------------------------------------------------------------
WINDOW_ADS = ads_frame(
    [
        (3, "acme", "approved", 0, False, 16),
        (1, "acme", "rejected", 29, False, 20),  # oldest day still in the 30-day window
        (2, "acme", "pending", 5, False, 40),
        (1, "acme", "generation_failed", 5, False, 40),
        (4, "acme", "rejected", 30, False, 2),  # one day too old for the window
        (5, "acme", "rejected", 3, True, 2),  # imported: not ours to approve or generate
    ]
)


def test_window_metrics_use_native_ads_of_the_last_thirty_days():
    values = metric_values(health_metrics(WINDOW_ADS, rewards_frame(WINDOW_ADS, []), AS_OF, SETTINGS), "acme")
    assert values["approval_rate"] == 3 / 4
    assert values["generation_success_rate"] == 6 / 7


@pytest.mark.parametrize(("min_sample", "known"), [(4, True), (5, False)])
def test_rates_need_the_minimum_sample(min_sample, known):
    settings = dataclasses.replace(SETTINGS, min_rate_sample=min_sample)
    rewards = rewards_frame(WINDOW_ADS, [0.7, 0.69, 0.9, 0.1])
    values = metric_values(health_metrics(WINDOW_ADS, rewards, AS_OF, settings), "acme")
    assert bool(np.isfinite(values["approval_rate"])) is known  # 4 decided ads
    assert bool(np.isfinite(values["winner_rate"])) is known  # 4 rewards


def test_freshness_counts_from_the_newest_rewarded_ad_only():
    rewards = rewards_frame(
        WINDOW_ADS, [0.5, 0.5, 0.5, 0.5]
    )  # the approved ads (16 days) and the rejected one
    assert (
        metric_values(health_metrics(WINDOW_ADS, rewards, AS_OF, SETTINGS), "acme")["data_freshness_days"]
        == 16.0
    )


def test_winner_rate_counts_rewards_at_or_above_the_threshold():
    rewards = rewards_frame(WINDOW_ADS, [0.7, 0.69, 0.9, 0.1])
    assert metric_values(health_metrics(WINDOW_ADS, rewards, AS_OF, SETTINGS), "acme")["winner_rate"] == 0.5


def prediction_data(pairs, seed=0):
    rng = np.random.default_rng(seed)
    ads = ads_frame([(pairs, "acme", "approved", 1, False, 1)])
    ads["pre_gen_score"] = np.round(rng.random(pairs), 1)  # rounded: ties on both sides
    rewards = rewards_frame(ads, np.round(ads["pre_gen_score"] + rng.normal(0, 0.3, pairs), 1).clip(0, 1))
    return ads, rewards


def test_prediction_accuracy_is_spearman_with_ties():
    ads, rewards = prediction_data(40)
    accuracy = metric_values(health_metrics(ads, rewards, AS_OF, SETTINGS), "acme")["prediction_accuracy"]
    expected = stats.spearmanr(ads["pre_gen_score"], rewards["reward_score"]).statistic
    assert accuracy == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("pairs", "known"), [(19, False), (20, True)])
def test_prediction_accuracy_needs_twenty_pairs(pairs, known):
    ads, rewards = prediction_data(pairs)
    accuracy = metric_values(health_metrics(ads, rewards, AS_OF, SETTINGS), "acme")["prediction_accuracy"]
    assert bool(np.isfinite(accuracy)) is known


def test_ads_without_pre_gen_score_are_not_pairs():
    ads, rewards = prediction_data(25)
    ads.loc[ads.index[:6], "pre_gen_score"] = np.nan
    values = metric_values(health_metrics(ads, rewards, AS_OF, SETTINGS), "acme")
    assert np.isnan(values["prediction_accuracy"])


def test_constant_predictions_have_no_correlation():
    ads, rewards = prediction_data(30)
    ads["pre_gen_score"] = 0.5
    assert np.isnan(
        metric_values(health_metrics(ads, rewards, AS_OF, SETTINGS), "acme")["prediction_accuracy"]
    )


def test_brands_without_data_get_nan_for_every_metric():
    ads = ads_frame([(2, "acme", "pending", 1, False, 1)])
    metrics = health_metrics(ads, rewards_frame(ads, []), AS_OF, SETTINGS, brand_ids=["acme", "ghost"])
    assert np.isnan(list(metric_values(metrics, "ghost").values())).all()
    values = metric_values(metrics, "acme")
    assert np.isnan(values["approval_rate"])  # nothing approved or rejected yet
    assert values["generation_success_rate"] == 1.0


def test_metrics_frame_shape_and_thresholds():
    ads = pd.concat(
        [WINDOW_ADS, ads_frame([(2, "beta", "approved", 1, False, 1)]).assign(ad_id=["b-1", "b-2"])]
    )
    metrics = health_metrics(ads, rewards_frame(ads, []), AS_OF, SETTINGS)
    assert list(metrics.columns) == list(HEALTH_METRIC_COLUMNS)
    assert metrics["brand_id"].tolist() == ["acme"] * 5 + ["beta"] * 5
    assert metrics["metric_name"].tolist() == list(METRIC_NAMES) * 2
    assert metric_values(metrics, "beta")["approval_rate"] == 1.0
    first = metrics.iloc[:5]
    assert first["warning"].tolist() == [0.20, 0.70, 14, 0.05, 0.40]
    assert first["critical"].tolist() == [0.10, 0.50, 30, 0.02, 0.25]


# --- alert decisions ----------------------------------------------------------------------------------
ALERT_COLUMNS = ["id", "brand_id", "alert_type", "severity", "status", "metric_value", "threshold_value",
                 "message", "occurrences"]  # fmt: skip
NO_ALERTS = pd.DataFrame(columns=ALERT_COLUMNS)


def metrics_frame(rows):
    frame = pd.DataFrame(rows, columns=["brand_id", "metric_name", "metric_value"])
    thresholds = SETTINGS.alert_thresholds
    return frame.assign(
        warning=frame["metric_name"].map(lambda name: thresholds[name].warning),
        critical=frame["metric_name"].map(lambda name: thresholds[name].critical),
    )


def alert(alert_id, severity, status="open", occurrences=1, brand_id="acme", alert_type="approval_rate"):
    return pd.DataFrame(
        [(alert_id, brand_id, alert_type, severity, status, 0.15, 0.20, "…", occurrences)],
        columns=ALERT_COLUMNS,
    )


def decide(value, alerts=NO_ALERTS, metric="approval_rate", settings=SETTINGS):
    return decide_alerts(metrics_frame([("acme", metric, value)]), alerts, settings)


@pytest.mark.parametrize(
    ("metric", "value", "severity", "threshold"),
    [
        ("approval_rate", 0.25, None, None),
        ("approval_rate", 0.20, None, None),
        ("approval_rate", 0.19, "warning", 0.20),
        ("approval_rate", 0.10, "warning", 0.20),
        ("approval_rate", 0.09, "critical", 0.10),
        ("generation_success_rate", 0.70, None, None),
        ("generation_success_rate", 0.69, "warning", 0.70),
        ("generation_success_rate", 0.49, "critical", 0.50),
        ("data_freshness_days", 14.0, None, None),
        ("data_freshness_days", 15.0, "warning", 14.0),
        ("data_freshness_days", 30.0, "warning", 14.0),
        ("data_freshness_days", 31.0, "critical", 30.0),
        ("winner_rate", 0.05, None, None),
        ("winner_rate", 0.03, "warning", 0.05),
        ("winner_rate", 0.01, "critical", 0.02),
        ("prediction_accuracy", 0.40, None, None),
        ("prediction_accuracy", 0.30, "warning", 0.40),
        ("prediction_accuracy", -0.2, "critical", 0.25),
    ],
)
def test_every_threshold_direction_and_severity(metric, value, severity, threshold):
    actions = decide(value, metric=metric)
    if severity is None:
        assert actions.empty
    else:
        assert actions[["action", "alert_type", "severity", "threshold_value"]].values.tolist() == [
            ["open", metric, severity, threshold]
        ]


def test_first_breach_opens_an_alert():
    actions = decide(0.15)
    assert list(actions.columns) == list(ALERT_ACTION_COLUMNS)
    row = actions.iloc[0].to_dict()
    assert row | {"metric_value": round(row["metric_value"], 6)} == {
        "action": "open",
        "alert_id": None,
        "brand_id": "acme",
        "alert_type": "approval_rate",
        "severity": "warning",
        "metric_value": 0.15,
        "threshold_value": 0.20,
        "message": "Approval rate 15.0 % is below the warning threshold 20.0 %.",
    }


def test_repeat_breach_updates_the_alert_and_takes_the_current_severity():
    row = decide(0.05, alert(5, "warning", occurrences=2)).iloc[0]
    assert (row["action"], row["alert_id"], row["severity"], row["threshold_value"]) == (
        "update",
        5,
        "critical",
        0.10,
    )
    assert row["message"] == "Approval rate 5.0 % is below the critical threshold 10.0 %."


def test_a_repeat_that_eases_stays_critical_and_names_the_critical_threshold():
    """Issue 15: a critical row said "below the warning threshold" and showed the warning value."""
    row = decide(0.15, alert(5, "critical")).iloc[0]
    assert (row["action"], row["severity"], row["threshold_value"]) == ("update", "critical", 0.10)
    assert row["message"] == (
        "Approval rate 15.0 % is back above the critical threshold 10.0 % but still below the warning "
        "threshold 20.0 %."
    )


@pytest.mark.parametrize(
    ("metric", "value", "alerts"),
    [
        ("approval_rate", 0.05, NO_ALERTS),
        ("approval_rate", 0.05, alert(5, "warning")),
        ("approval_rate", 0.15, alert(5, "critical")),
        ("data_freshness_days", 20.0, alert(5, "critical", alert_type="data_freshness_days")),
        ("winner_rate", 0.01, NO_ALERTS),
        ("prediction_accuracy", 0.3, alert(5, "critical", alert_type="prediction_accuracy")),
    ],
)
def test_a_critical_alert_shows_and_names_the_critical_threshold(metric, value, alerts):
    row = decide(value, alerts, metric=metric).iloc[0]
    critical = SETTINGS.alert_thresholds[metric].critical
    assert (row["severity"], row["threshold_value"]) == ("critical", critical)
    assert "critical threshold" in row["message"]


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("approval_rate", 0.115385, "11.5 %"),
        ("data_freshness_days", 35.0, "35 days"),
        ("data_freshness_days", 1.0, "1 day"),
        ("data_freshness_days", 2.5, "2.5 days"),
        ("prediction_accuracy", 0.3, "0.30"),
    ],
)
def test_values_are_written_like_the_dashboard_writes_them(metric, value, text):
    """Issue 15: "35.000" days and 11.5% beside 0.115; the same text as dashboard/formats.py."""
    assert format_values(pd.Series([value]), pd.Series([metric])).tolist() == [text]


def test_recovered_metric_resolves_its_alert():
    row = decide(0.35, alert(5, "critical", occurrences=4)).iloc[0]
    assert (row["action"], row["alert_id"], row["severity"], row["threshold_value"]) == (
        "resolve",
        5,
        "critical",
        0.20,
    )
    assert row["message"] == "Approval rate recovered to 35.0 %, above the warning threshold 20.0 %."


@pytest.mark.parametrize(
    ("before", "status", "occurrences"),
    [("warning", "open", 1), ("warning", "acknowledged", 7), ("critical", "acknowledged", 3)],
)
def test_the_message_depends_on_the_metric_and_threshold_only(before, status, occurrences):
    """Item 6: the same metric writes the same text whatever the alert's history or the date."""
    row = decide(0.05, alert(5, before, status=status, occurrences=occurrences)).iloc[0]
    assert row["message"] == decide(0.05).iloc[0]["message"]


@pytest.mark.parametrize("alerts", [NO_ALERTS, alert(5, "critical")])
def test_nan_metric_leaves_everything_untouched(alerts):
    actions = decide(np.nan, alerts)
    assert actions.empty
    assert list(actions.columns) == list(ALERT_ACTION_COLUMNS)


def test_each_brand_and_metric_is_decided_on_its_own():
    metrics = metrics_frame(
        [
            ("acme", "approval_rate", 0.5),
            ("acme", "winner_rate", 0.01),
            ("beta", "approval_rate", 0.05),
            ("gamma", "approval_rate", np.nan),
        ]
    )
    alerts = pd.concat([alert(1, "warning"), alert(2, "warning", brand_id="gamma")])
    actions = decide_alerts(metrics, alerts, SETTINGS)
    assert actions[["action", "alert_id", "brand_id", "alert_type"]].values.tolist() == [
        ["resolve", 1, "acme", "approval_rate"],
        ["open", None, "acme", "winner_rate"],
        ["open", None, "beta", "approval_rate"],
    ]


def test_thresholds_come_from_settings_and_metrics_without_them_are_ignored():
    custom = dataclasses.replace(
        SETTINGS, alert_thresholds={"approval_rate": Thresholds(0.6, 0.4, below=True)}
    )
    assert decide(0.5, settings=custom)["severity"].tolist() == ["warning"]
    assert decide(0.0, metric="winner_rate", settings=custom).empty


def test_no_metrics_no_actions():
    actions = decide_alerts(metrics_frame([]), NO_ALERTS, SETTINGS)
    assert actions.empty
    assert list(actions.columns) == list(ALERT_ACTION_COLUMNS)
