"""Health of the learning loop: five metrics per brand, and the alert actions they call for.

Metrics (NaN when there is not enough data to say anything):
- approval_rate: approved / (approved + rejected) over native ads created in the health window;
- generation_success_rate: share of native ads created in the window whose status is not
  'generation_failed' (imported ads were never generated here);
- data_freshness_days: days from the newest `last_date` of the brand's rewarded ads to as_of;
- winner_rate: share of the brand's rewards >= settings.winner_threshold;
- prediction_accuracy: Spearman correlation of pre_gen_score with reward_score over rewarded ads
  with a pre-gen score; needs MIN_PREDICTION_PAIRS pairs.
The three rates need settings.min_rate_sample ads in their denominator (NaN below it), so one
rejection is not an alert.
The health window is the `settings.health_window_days` calendar days ending on as_of (inclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from genome.settings import Settings
from genome.vocabulary import ALERT_ACTION_COLUMNS, HEALTH_METRIC_COLUMNS

METRIC_NAMES = (
    "approval_rate",
    "generation_success_rate",
    "data_freshness_days",
    "winner_rate",
    "prediction_accuracy",
)
METRIC_LABELS = {
    "approval_rate": "Approval rate",
    "generation_success_rate": "Generation success rate",
    "data_freshness_days": "Data freshness",
    "winner_rate": "Winner rate",
    "prediction_accuracy": "Prediction accuracy (Spearman)",
}
PERCENT_METRICS = ("approval_rate", "generation_success_rate", "winner_rate")
DAY_METRICS = ("data_freshness_days",)
MIN_PREDICTION_PAIRS = 20

SYSTEM_ACTOR = "system"  # resolved_by for alerts the system resolves


def _rate(numerator: pd.Series, denominator: pd.Series, min_sample: int) -> pd.Series:
    return (numerator / denominator.where(denominator >= max(min_sample, 1))).astype(np.float64)


def _spearman_by_brand(pairs: pd.DataFrame) -> pd.Series:
    """Spearman correlation per brand_id of pre_gen_score vs reward_score (average ranks for ties)."""
    ranks = pairs.groupby("brand_id")[["pre_gen_score", "reward_score"]].rank(method="average")
    centred = ranks - ranks.groupby(pairs["brand_id"]).transform("mean")
    sums = (
        pd.DataFrame(
            {
                "xy": centred["pre_gen_score"] * centred["reward_score"],
                "xx": centred["pre_gen_score"] ** 2,
                "yy": centred["reward_score"] ** 2,
            }
        )
        .groupby(pairs["brand_id"])
        .sum()
    )
    denominator = np.sqrt(sums["xx"] * sums["yy"])
    correlation = sums["xy"] / denominator.where(denominator > 0)
    counts = pairs.groupby("brand_id").size()
    return correlation.where(counts >= MIN_PREDICTION_PAIRS).clip(-1.0, 1.0)


def health_metrics(
    ads: pd.DataFrame,
    rewards: pd.DataFrame,
    as_of: date,
    settings: Settings,
    brand_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every metric for every brand, long format: brand_id, metric_name, metric_value, warning, critical.

    `ads` is the ad-aggregates frame at as_of, `rewards` the rewards at as_of (ad_id, brand_id,
    reward_score), computed from those same aggregates, so the metrics depend on the data up to
    as_of alone and never on which refresh ran last.
    Brands default to those appearing in either frame; a brand without data gets NaN metrics.
    """
    if brand_ids is None:
        brand_ids = sorted(set(ads["brand_id"].astype(str)) | set(rewards["brand_id"].astype(str)))
    brands = pd.Index([str(b) for b in brand_ids], dtype=object, name="brand_id")
    as_of_ts = pd.Timestamp(as_of)
    window_start = as_of_ts - pd.Timedelta(days=settings.health_window_days - 1)
    created = pd.to_datetime(ads["created_at"]).dt.normalize()
    native = ads[~ads["is_imported"].astype(bool) & (created >= window_start) & (created <= as_of_ts)]
    status = native["final_status"].astype(str)
    by_brand = (
        pd.DataFrame(
            {
                "brand_id": native["brand_id"].astype(str),
                "approved": status == "approved",
                "decided": status.isin(["approved", "rejected"]),
                "generated": status != "generation_failed",
                "ads": True,
            }
        )
        .groupby("brand_id")[["approved", "decided", "generated", "ads"]]
        .sum()
    )
    by_brand = by_brand.reindex(brands, fill_value=0)

    rewarded = (
        rewards[["ad_id", "brand_id", "reward_score"]]
        .astype({"ad_id": str, "brand_id": str})
        .merge(ads[["ad_id", "pre_gen_score", "last_date"]].astype({"ad_id": str}), on="ad_id", how="left")
    )
    grouped = rewarded.groupby("brand_id")
    newest = pd.to_datetime(grouped["last_date"].max())
    freshness = ((as_of_ts - newest) / pd.Timedelta(days=1)).astype(np.float64)
    winners = _rate(
        (rewarded["reward_score"] >= settings.winner_threshold).groupby(rewarded["brand_id"]).sum(),
        grouped.size(),
        settings.min_rate_sample,
    )
    pairs = rewarded.dropna(subset=["pre_gen_score", "reward_score"])
    accuracy = _spearman_by_brand(pairs) if not pairs.empty else pd.Series(dtype=np.float64)

    wide = pd.DataFrame(
        {
            "approval_rate": _rate(by_brand["approved"], by_brand["decided"], settings.min_rate_sample),
            "generation_success_rate": _rate(
                by_brand["generated"], by_brand["ads"], settings.min_rate_sample
            ),
            "data_freshness_days": freshness.reindex(brands),
            "winner_rate": winners.reindex(brands),
            "prediction_accuracy": accuracy.reindex(brands),
        },
        index=brands,
    )
    metrics = (
        wide[list(METRIC_NAMES)]
        .astype(np.float64)
        .melt(ignore_index=False, var_name="metric_name", value_name="metric_value")
        .reset_index()
    )
    thresholds = settings.alert_thresholds
    metrics["warning"] = (
        metrics["metric_name"].map({name: t.warning for name, t in thresholds.items()}).astype(np.float64)
    )
    metrics["critical"] = (
        metrics["metric_name"].map({name: t.critical for name, t in thresholds.items()}).astype(np.float64)
    )
    order = metrics["metric_name"].map({name: i for i, name in enumerate(METRIC_NAMES)})
    metrics = metrics.assign(_order=order).sort_values(["brand_id", "_order"], ignore_index=True)
    return metrics[list(HEALTH_METRIC_COLUMNS)]


def format_values(values: pd.Series, metric_names: pd.Series) -> pd.Series:
    """Human text for metric values, written like the dashboard writes them (dashboard/formats.py):
    rates as '11.5 %', days as '35 days' / '1 day' / '2.5 days', a correlation as '0.31'."""
    percent = (values * 100).map("{:.1f} %".format)
    day_count = values.map("{:.1f}".format).str.removesuffix(".0")
    days = day_count + np.where(day_count == "1", " day", " days")
    text = values.map("{:.2f}".format).where(~metric_names.isin(DAY_METRICS), days)
    return text.where(~metric_names.isin(PERCENT_METRICS), percent).astype(object)


def _empty_actions() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in ALERT_ACTION_COLUMNS})


def decide_alerts(metrics: pd.DataFrame, unresolved_alerts: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The alert actions these metrics call for, given the unresolved (open or acknowledged) alerts.

    Per (brand, metric), with the alert type equal to the metric name:
    - breach and no unresolved alert -> 'open';
    - breach and an unresolved alert -> 'update': severity only escalates (a critical alert stays
      critical until resolved);
    - no breach and an unresolved alert -> 'resolve' (by SYSTEM_ACTOR), keeping its severity;
    - a NaN metric, or a metric without thresholds, leaves everything untouched.
    A breach is strictly below (or above, per Thresholds.below) the warning or critical value;
    threshold_value is the one breached, or the warning value for a resolve. The message is a
    function of the metric, its value and the threshold alone, so validating the same data again
    writes the same text. How the action changes the stored alert (an occurrence counted once per
    as_of, an acknowledged alert that escalates reopened, every change kept as an event) is the
    store's part: it applies the action to the alert's state at write time.
    """
    thresholds = settings.alert_thresholds
    frame = metrics[metrics["metric_name"].isin(list(thresholds))][
        ["brand_id", "metric_name", "metric_value"]
    ]
    frame = frame.astype({"brand_id": object, "metric_name": object}).reset_index(drop=True)
    if frame.empty:
        return _empty_actions()
    value = frame["metric_value"].astype(np.float64)
    warning = frame["metric_name"].map({name: t.warning for name, t in thresholds.items()}).astype(np.float64)
    critical = (
        frame["metric_name"].map({name: t.critical for name, t in thresholds.items()}).astype(np.float64)
    )
    below = frame["metric_name"].map({name: t.below for name, t in thresholds.items()}).astype(bool)
    critical_breach = np.where(below, value < critical, value > critical)
    warning_breach = np.where(below, value < warning, value > warning)
    frame["severity_now"] = np.select([critical_breach, warning_breach], ["critical", "warning"], default="")

    alerts = unresolved_alerts.reindex(columns=["id", "brand_id", "alert_type", "severity"])
    alerts = alerts.astype({"id": object, "brand_id": object, "alert_type": object}).rename(
        columns={"id": "alert_id", "alert_type": "metric_name", "severity": "severity_before"}
    )
    alerts = alerts.drop_duplicates(["brand_id", "metric_name"], keep="last")
    frame = frame.merge(alerts, on=["brand_id", "metric_name"], how="left", validate="one_to_one")
    known = value.notna().to_numpy()
    breached = (frame["severity_now"] != "").to_numpy()
    has_alert = frame["alert_id"].notna().to_numpy()
    frame["action"] = np.select(
        [known & breached & ~has_alert, known & breached & has_alert, known & ~breached & has_alert],
        ["open", "update", "resolve"],
        default="",
    )
    keep = (frame["action"] != "").to_numpy()
    frame, value, warning, critical, below = (s[keep] for s in (frame, value, warning, critical, below))
    if frame.empty:
        return _empty_actions()

    resolving = frame["action"] == "resolve"
    before = frame["severity_before"].astype(object)
    stays_critical = resolving | (before == "critical")
    frame["severity"] = frame["severity_now"].where(~stays_critical, before)
    # the threshold the alert's severity names: a critical alert keeps showing the critical one when
    # the metric eases (severity only escalates); a resolve names the warning one it recovered past
    named = frame["severity"].where(~resolving, "")
    frame["threshold_value"] = critical.where(named == "critical", warning)
    frame["message"] = _messages(frame["metric_name"], named, value, frame["threshold_value"], warning, below)

    alert_ids = pd.to_numeric(frame["alert_id"], errors="coerce").astype("Int64")
    frame["alert_id"] = alert_ids.astype(object).where(alert_ids.notna(), None)
    frame["metric_value"] = value
    frame = frame.rename(columns={"metric_name": "alert_type"})
    return frame[list(ALERT_ACTION_COLUMNS)].reset_index(drop=True)


def _messages(
    metric_names: pd.Series,
    severity: pd.Series,
    values: pd.Series,
    thresholds: pd.Series,
    warnings: pd.Series,
    below: pd.Series,
) -> pd.Series:
    """One sentence per action from the metric, its value and the threshold shown alone (no date, no
    count): a breach names its severity's threshold; a critical alert whose metric eased past the
    critical threshold says so and names the warning threshold it is still past; a resolve ("")
    names the warning threshold it recovered past."""
    label = metric_names.map(METRIC_LABELS).fillna(metric_names).astype(object)
    value_text = format_values(values, metric_names)
    threshold_text = format_values(thresholds, metric_names)
    warning_text = format_values(warnings, metric_names)
    direction = pd.Series(np.where(below, "below", "above"), index=metric_names.index, dtype=object)
    back = pd.Series(np.where(below, "above", "below"), index=metric_names.index, dtype=object)
    past = pd.Series(np.where(below, values < thresholds, values > thresholds), index=metric_names.index)
    breach_text = (
        label + " " + value_text + " is " + direction + " the " + severity.astype(object)
        + " threshold " + threshold_text + "."
    )  # fmt: skip
    eased_text = (
        label + " " + value_text + " is back " + back + " the critical threshold " + threshold_text
        + " but still " + direction + " the warning threshold " + warning_text + "."
    )  # fmt: skip
    resolve_text = (
        label + " recovered to " + value_text + ", " + back + " the warning threshold " + threshold_text + "."
    )
    text = breach_text.where(past, eased_text)
    return text.where(severity != "", resolve_text)
