"""The per-row baseline: the reference implementation's access pattern, on the same database.

The reference made one query per ad for its daily rows, summed them in Python, and wrote one
insert per reward and one upsert per (ad, element) score, each a round trip (an HTTP request
against its hosted database). This module does the same work that way, on purpose: Python loops
over ads and rows, one statement each. It computes the same rewards and fractional posteriors as
`genome.rewards` / `genome.posteriors` (uniform priors, no decay), so its scores can be checked
against ours, and it counts its statements: the requests the reference would have sent.

It runs on the embedded SQLite file (no round trip at all) and on Postgres over a local socket
(one round trip per statement, as the reference had, but sub-millisecond instead of an HTTPS
request). It is generous to the reference either way: one transaction (no commit per row) and no
network, so its time is a lower bound on what the reference cost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from genome.rewards import (
    DEFAULT_BASELINES,
    DEFAULT_OBJECTIVE,
    METRICS,
    OBJECTIVE_WEIGHTS,
)
from genome.settings import Settings

TABLES = (
    "drop table if exists baseline_rewards",
    "drop table if exists baseline_scores",
    "create table baseline_rewards (ad_id text primary key, brand_id text, reward_score double precision)",
    (
        "create table baseline_scores (brand_id text, element_name text, element_value text,"
        " alpha double precision, beta double precision, observations integer,"
        " primary key (brand_id, element_name, element_value))"
    ),
)
AD_LIST_SQL = (
    "select id, is_imported, element_tags from generated_ads where brand_id = {p} and {created_day} <= {p}"
    " order by id"
)
AD_ROWS_SQL = (
    "select date, impressions, clicks, conversions, spend, revenue, campaign_objective"
    " from ad_performance where generated_ad_id = {p} and date <= {p} order by date"
)
REWARD_INSERT_SQL = "insert into baseline_rewards values ({p}, {p}, {p})"
SCORE_UPSERT_SQL = (
    "insert into baseline_scores values ({p}, {p}, {p}, 1 + {p}, 1 + {p}, 1)"
    " on conflict (brand_id, element_name, element_value) do update set"
    " alpha = baseline_scores.alpha + excluded.alpha - 1, beta = baseline_scores.beta + excluded.beta - 1,"
    " observations = baseline_scores.observations + 1"
)


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQLite file and a Postgres database for these statements."""

    placeholder: str
    created_day: str  # created_at as a 'YYYY-MM-DD' comparable day

    def sql(self, template: str) -> str:
        return template.format(p=self.placeholder, created_day=self.created_day)


SQLITE = Dialect("?", "substr(created_at, 1, 10)")
POSTGRES = Dialect("%s", "(created_at at time zone 'UTC')::date")


@dataclass(frozen=True)
class BaselineResult:
    seconds: float
    statements: int  # = the requests the reference would have made
    ads: int
    rewarded_ads: int
    element_rows: int  # (rewarded ad, tracked element) pairs written one by one


@dataclass
class _Ad:
    ad_id: str
    imported: bool
    tags: str | dict  # JSON text (SQLite) or a dict (Postgres jsonb)
    impressions: float = 0.0
    clicks: float = 0.0
    conversions: float = 0.0
    spend: float = 0.0
    revenue: float = 0.0
    first_date: date | None = None
    objective: str = ""


def reference_requests(ads: int, rewarded_ads: int, element_rows: int) -> int:
    """Requests of the reference for one refresh: the ad list, one read per ad, one write per reward
    and one per (rewarded ad, element)."""
    return 1 + ads + rewarded_ads + element_rows


def run_baseline(
    connection: Any,
    dialect: Dialect,
    brand_id: str,
    as_of: date,
    settings: Settings | None = None,
) -> BaselineResult:
    """Refresh `brand_id` the reference way into baseline_rewards / baseline_scores.

    `connection` is a DB-API connection in autocommit mode (sqlite3 with isolation_level=None, or
    psycopg with autocommit=True): the work runs in one explicit transaction."""
    settings = settings or Settings()
    if settings.decay_half_life_days > 0 or settings.posterior_mode != "fractional":
        raise ValueError("the baseline reproduces the default settings only (fractional, no decay)")
    for statement in TABLES:
        connection.execute(statement)
    insert_reward, upsert_score = (
        dialect.sql(REWARD_INSERT_SQL),
        dialect.sql(SCORE_UPSERT_SQL),
    )
    started = time.perf_counter()
    connection.execute("begin")
    statements, ads = _read_ads(connection, dialect, brand_id, as_of.isoformat())
    rewards = _rewards(ads, as_of, settings)
    element_rows = 0
    for (
        ad,
        reward,
    ) in rewards:  # one insert per reward, one upsert per element: the reference's way
        connection.execute(insert_reward, (ad.ad_id, brand_id, reward))
        weight = settings.imported_ad_weight if ad.imported else 1.0
        tags = ad.tags if isinstance(ad.tags, dict) else json.loads(ad.tags)
        for name, value in tags.items():
            if name in settings.tracked_elements and value not in (None, ""):
                connection.execute(
                    upsert_score,
                    (
                        brand_id,
                        name,
                        _text(value),
                        weight * reward,
                        weight * (1.0 - reward),
                    ),
                )
                element_rows += 1
    connection.execute("commit")
    seconds = time.perf_counter() - started
    total = statements + len(rewards) + element_rows
    return BaselineResult(seconds, total, len(ads), len(rewards), element_rows)


def _read_ads(connection: Any, dialect: Dialect, brand_id: str, day: str) -> tuple[int, list[_Ad]]:
    """The ad list, then one query per ad for its daily rows, summed in Python."""
    listed = connection.execute(dialect.sql(AD_LIST_SQL), (brand_id, day)).fetchall()
    read_rows = dialect.sql(AD_ROWS_SQL)
    ads = []
    for ad_id, imported, tags in listed:
        ad = _Ad(ad_id, bool(imported), tags)
        for (
            row_date,
            impressions,
            clicks,
            conversions,
            spend,
            revenue,
            objective,
        ) in connection.execute(read_rows, (ad_id, day)).fetchall():
            ad.impressions += impressions
            ad.clicks += clicks
            ad.conversions += conversions
            ad.spend += spend
            ad.revenue += revenue
            if ad.first_date is None:
                ad.first_date = row_date if isinstance(row_date, date) else date.fromisoformat(row_date)
            ad.objective = objective or ad.objective
        ads.append(ad)
    return 1 + len(listed), ads


def _rewards(ads: list[_Ad], as_of: date, settings: Settings) -> list[tuple[_Ad, float]]:
    """(ad, reward) for every ad whose CTR is mature, with the brand's p25/p75 baselines."""
    windows = (
        settings.ctr_maturity_days,
        settings.conversion_maturity_days,
        settings.roas_maturity_days,
    )
    metrics = []
    for ad in ads:
        age = (as_of - ad.first_date).days if ad.first_date else -1
        ripe = [age >= window and ad.impressions >= settings.min_impressions for window in windows]
        values = (
            ad.clicks / ad.impressions if ripe[0] and ad.impressions > 0 else None,
            ad.conversions / ad.clicks if ripe[1] and ad.clicks > 0 else None,
            ad.revenue / ad.spend if ripe[2] and ad.spend > 0 else None,
        )
        if values[0] is not None:
            metrics.append((ad, values))
    bounds = []
    for k, metric in enumerate(METRICS):
        seen = [values[k] for _, values in metrics if values[k] is not None and np.isfinite(values[k])]
        low, high = np.quantile(seen, [0.25, 0.75]) if seen else (0.0, 0.0)
        own = len(seen) >= settings.baseline_min_ads and high > low
        bounds.append((low, high) if own else DEFAULT_BASELINES[metric])
    rewards = []
    for ad, values in metrics:
        weights = OBJECTIVE_WEIGHTS.get(ad.objective.strip().upper(), OBJECTIVE_WEIGHTS[DEFAULT_OBJECTIVE])
        total = score = 0.0
        for value, weight, (low, high) in zip(values, weights, bounds, strict=True):
            if value is not None:
                total += weight
                score += weight * min(max((value - low) / (high - low), 0.0), 1.0)
        rewards.append((ad, min(max(score / total, 0.0), 1.0)))
    return rewards


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def score_difference(connection: Any, dialect: Dialect, brand_id: str) -> float:
    """Largest |Δalpha| + |Δbeta| between the baseline's scores and ours (0 = the same maths); inf when
    one side has a value the other lacks."""
    difference, matched = connection.execute(
        dialect.sql(
            "select max(abs(b.alpha - s.alpha) + abs(b.beta - s.beta)), count(*) from baseline_scores b"
            " join creative_element_scores s using (brand_id, element_name, element_value) where b.brand_id = {p}"
        ),
        (brand_id,),
    ).fetchone()
    (ours,) = connection.execute(
        dialect.sql(
            "select count(*) from creative_element_scores where brand_id = {p} and total_observations > 0"
        ),
        (brand_id,),
    ).fetchone()
    (theirs,) = connection.execute("select count(*) from baseline_scores").fetchone()
    return float(difference or 0.0) if matched == ours == theirs else float("inf")


# --- the floor: one scan that reads and sums the same daily rows -----------------------------------------
FLOOR_SQL = (
    "select generated_ad_id, sum(impressions), sum(clicks), sum(conversions), sum(spend), sum(revenue)"
    " from ad_performance where date <= {p} group by generated_ad_id"
)
# the same scan restricted to one brand's ads (what a one-brand refresh must also do)
FLOOR_SCOPED_SQL = (
    "select generated_ad_id, sum(impressions), sum(clicks), sum(conversions), sum(spend), sum(revenue)"
    " from ad_performance where date <= {p}"
    " and generated_ad_id in (select id from generated_ads where brand_id = {p}) group by generated_ad_id"
)


def floor_seconds(
    execute: Callable[[str, tuple], list],
    brand_id: str,
    as_of: date | str,
    placeholder: str,
) -> dict:
    """Seconds to read and sum the daily rows (rows fetched), plain and brand-scoped."""
    timings = {}
    for name, sql, params in (
        ("floor_s", FLOOR_SQL, (as_of,)),
        ("floor_scoped_s", FLOOR_SCOPED_SQL, (as_of, brand_id)),
    ):
        started = time.perf_counter()
        rows = execute(sql.format(p=placeholder), params)
        timings[name] = time.perf_counter() - started
        timings["floor_ads"] = len(rows)
    return timings
