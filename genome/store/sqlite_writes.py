"""SQLite writes: each function takes a connection inside an open write transaction.

Rows go into per-connection temp tables with `executemany`, then one set-based statement each
upserts, only where something changed, and counts; daily rows, the bulk, go straight into
ad_performance. Mirrors genome/migrations/postgres/functions.
"""

from __future__ import annotations

import functools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.store import payloads
from genome.store.common import dumps, job_context, seconds_since, utc_now
from genome.store.payloads import timestamp_text
from genome.vocabulary import (
    ALERT_ACTION_COLUMNS,
    ALERT_ACTIONS,
    HEALTH_METRIC_COLUMNS,
    JobStatus,
    JobType,
)

TEMP_TABLES = """
create temp table if not exists incoming_brands (id text primary key);
create temp table if not exists incoming_brand_rows (
    id text primary key, name text, organization_id text, cross_brand_sharing integer, created_at text);
create temp table if not exists incoming_ads (
    id text primary key, brand_id text, element_tags text, pre_gen_score real, final_status text,
    is_imported integer, created_at text);
create temp table if not exists incoming_reward_rows (
    generated_ad_id text primary key, brand_id text, reward_score real, reward_components text,
    campaign_objective text, maturity text, impressions_at_reward integer, matured_at text);
create temp table if not exists incoming_scores (
    brand_id text, element_name text, element_value text, alpha real, beta real, prior_alpha real,
    prior_beta real, prior_source text, total_observations real, mean_reward real,
    primary key (brand_id, element_name, element_value));
create temp table if not exists incoming_metrics (
    brand_id text, metric_name text, metric_value real, warning real, critical real,
    primary key (brand_id, metric_name));
create temp table if not exists incoming_actions (
    ord integer primary key, action text, alert_id integer, brand_id text, alert_type text, severity text,
    metric_value real, threshold_value real, message text);
create temp table if not exists alert_plan (
    alert_id integer, brand_id text, alert_type text, action text, severity text, metric_value real,
    threshold_value real, message text, status text, seen_again integer, reopened integer);
"""

#: per-ad sums of the daily rows up to :as_of (null: all) of the ads in `{ads}` (a subquery of ad
#: ids), with the objective of the latest such day that names one: the ad totals, and what a refresh
#: back in time reads instead of them
AD_SUMS_SQL = """
select p.generated_ad_id, sum(p.impressions) as impressions, sum(p.clicks) as clicks,
       sum(p.conversions) as conversions, money_sum(p.date, p.spend) as spend,
       money_sum(p.date, p.revenue) as revenue,
       min(p.date) as first_date, max(p.date) as last_date,
       coalesce((select o.campaign_objective from ad_performance o
                 where o.generated_ad_id = p.generated_ad_id and (:as_of is null or o.date <= :as_of)
                   and coalesce(o.campaign_objective, '') <> ''
                 order by o.date desc limit 1), '') as campaign_objective
from ad_performance p
where p.generated_ad_id in {ads} and (:as_of is null or p.date <= :as_of)
group by p.generated_ad_id
"""


class MoneySum:
    """The SQL aggregate money_sum(date, amount), registered on every connection: the group's amounts
    added one after another in date order, as Postgres's `sum(amount order by date)` does
    (genome/migrations/postgres/functions/genome_import_performance.sql), so a plan, a SQLite version
    (3.43+ sums with compensation) or a Python version (3.12+ `sum` compensates too) cannot change the
    bits, and both backends give the same totals for the same rows. One group is one ad's days."""

    def __init__(self) -> None:
        self.days: list[tuple[str, float]] = []

    def step(self, day: str, amount: float) -> None:
        self.days.append((day, amount))

    def finalize(self) -> float | None:
        amounts = [amount for _, amount in sorted(self.days)]
        return functools.reduce(operator.add, amounts) if amounts else None


_DAILY = "generated_ad_id, date, impressions, clicks, conversions, spend, revenue, campaign_objective"
_DAILY_VALUES = "impressions, clicks, conversions, spend, revenue, campaign_objective"
_PLACES = ", ".join("?" for _ in _DAILY.split(","))
_IN = "(select value from json_each(?))"
COUNTS, MONEY = ("impressions", "clicks", "conversions"), ("spend", "revenue")
#: an ad's totals (`_totals` rows), kept at import
TOTALS_SQL = f"insert or replace into ad_performance_totals values ({_PLACES}, ?)"
#: writes generated_ad_elements for the ads of `{ads}`: their scalar, non-empty tags as text
ELEMENTS_SQL = """
insert or replace into generated_ad_elements (brand_id, element_name, element_value, generated_ad_id)
select a.brand_id, tag.key,
       case tag.type when 'true' then 'true' when 'false' then 'false' else cast(tag.value as text) end, a.id
from generated_ads a, json_each(a.element_tags) as tag
where a.id in {ads}
  and tag.type in ('text', 'integer', 'real', 'true', 'false') and cast(tag.value as text) <> ''
"""
#: stored brands changed by temp.incoming_brand_rows (null keeps a value), where anything differs
SAVE_BRANDS_UPDATE = """
update brands set name = r.name, organization_id = r.organization_id, cross_brand_sharing = r.sharing
from (
    select i.id, coalesce(nullif(i.name, ''), case when i.name is null then b.name end, i.id) as name,
           case when i.organization_id is null then b.organization_id
                else nullif(i.organization_id, '') end as organization_id,
           coalesce(i.cross_brand_sharing, b.cross_brand_sharing) as sharing
    from temp.incoming_brand_rows i join brands b on b.id = i.id
) as r
where brands.id = r.id
  and (brands.name, brands.organization_id, brands.cross_brand_sharing) is not (r.name, r.organization_id, r.sharing)
"""
#: brands of temp.incoming_brand_rows not stored yet, with the defaults for what a row leaves null
SAVE_BRANDS_INSERT = """
insert into brands (id, name, organization_id, cross_brand_sharing, created_at)
select id, coalesce(nullif(name, ''), id), nullif(organization_id, ''), coalesce(cross_brand_sharing, 0),
       coalesce(created_at, ?)
from temp.incoming_brand_rows where id not in (select id from brands)
"""
_REFRESHED = "(select id from temp.incoming_brands)"
_COMPONENTS = "json_object(" + ", ".join(f"'{name}', ?" for name in payloads.REWARD_COMPONENTS) + ")"


def fill(
    connection: sqlite3.Connection,
    table: str,
    frame: pd.DataFrame,
    columns: Sequence[str],
    names: Sequence[str] | None = None,
) -> int:
    """Replace temp.`table` with the rows of `frame` (`columns`, stored as `names`); last duplicate wins."""
    connection.execute(f"delete from temp.{table}")
    names = list(names or columns)
    placeholders = ", ".join("?" for _ in names)
    connection.executemany(
        f"insert or replace into temp.{table} ({', '.join(names)}) values ({placeholders})",
        payloads.to_rows(frame, columns),
    )
    return connection.execute(f"select count(*) from temp.{table}").fetchone()[0]


def record_job(
    connection: sqlite3.Connection,
    job_type: JobType,
    brand_ids: Sequence[str],
    status: JobStatus,
    started: datetime,
    summary: dict,
    error: str | None = None,
) -> int:
    cursor = connection.execute(
        "insert into genome_job_runs (job_type, brand_id, started_at, finished_at, status, summary, error)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        (
            job_type,
            brand_ids[0] if len(brand_ids) == 1 else None,
            timestamp_text(started),
            timestamp_text(utc_now()),
            status,
            dumps(summary),
            error,
        ),
    )
    return int(cursor.lastrowid)


def save_brands(connection: sqlite3.Connection, brands: pd.DataFrame) -> dict:
    """Upsert brands by id, keeping what a row leaves null (a new brand: name = id, no organization,
    sharing off); name '' = the id, organization_id '' = none. Mirrors functions/genome_save_brands.sql."""
    incoming = fill(connection, "incoming_brand_rows", brands, payloads.BRAND_PAYLOAD)
    updated = connection.execute(SAVE_BRANDS_UPDATE).rowcount
    inserted = connection.execute(SAVE_BRANDS_INSERT, (timestamp_text(utc_now()),)).rowcount
    return {"inserted": inserted, "updated": updated, "unchanged": incoming - inserted - updated}


def import_ads(connection: sqlite3.Connection, ads: pd.DataFrame, started: datetime) -> dict:
    ads = payloads.with_columns(ads, payloads.AD_PAYLOAD)
    # one text form per value, so an unchanged ad compares equal whatever types it arrived in
    ads = ads.assign(created_at=pd.to_datetime(ads["created_at"], utc=True, format="ISO8601"))
    tags = ads["element_tags"]
    if tags.dtype == object and not tags.map(lambda value: isinstance(value, str) or value is None).all():
        ads = ads.assign(
            element_tags=tags.map(lambda value: value if isinstance(value, str) else dumps(value))
        )
    total = fill(
        connection,
        "incoming_ads",
        ads,
        payloads.AD_PAYLOAD,
        ("id", "brand_id", "element_tags", "pre_gen_score", "final_status", "is_imported", "created_at"),
    )
    now = timestamp_text(utc_now())
    connection.execute(
        "update temp.incoming_ads set element_tags = json(coalesce(element_tags, '{}')),"
        " final_status = coalesce(final_status, 'pending'), is_imported = coalesce(is_imported, 0),"
        " created_at = coalesce(created_at, ?)",
        (now,),
    )
    brand_ids = [row[0] for row in connection.execute("select distinct brand_id from temp.incoming_ads")]
    connection.execute(
        "insert into brands (id, name, created_at) select distinct brand_id, brand_id, ? from temp.incoming_ads"
        " where true on conflict (id) do nothing",
        (now,),
    )
    columns = "brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at"
    existing = connection.execute(
        "select count(*) from temp.incoming_ads where id in (select id from generated_ads)"
    ).fetchone()[0]
    written = connection.execute(
        f"insert into generated_ads (id, {columns}) select id, {columns} from temp.incoming_ads where true"
        f" on conflict (id) do update set {_assign(columns)}"
        f" where ({_qualified('generated_ads', columns)}) is not ({_qualified('excluded', columns)})"
    ).rowcount
    updated = written - (total - existing)  # the upsert's count: every insert and every real update
    counts = {"inserted": total - existing, "updated": updated, "unchanged": existing - updated}
    incoming = "(select id from temp.incoming_ads)"
    connection.execute(f"delete from generated_ad_elements where generated_ad_id in {incoming}")
    connection.execute(ELEMENTS_SQL.format(ads=incoming))
    counts["job_id"] = record_job(connection, "import_ads", brand_ids, "succeeded", started, dict(counts))
    return counts


def import_performance(connection: sqlite3.Connection, rows: pd.DataFrame, started: datetime) -> dict:
    """Upsert daily rows by (ad, date) where changed and keep the written ads' totals. A row dated after
    every stored day of its ad (a new ad's, a new day) is inserted as it is and its ad's totals carried
    on from the stored ones; the others are updated where they differ or inserted where missing, and
    when any was, their ads' totals are summed again from all their stored days."""
    daily = _daily_rows(rows)
    ads = dumps(daily["ad_id"].dropna().unique().tolist())
    brand_ids = [
        row[0]
        for row in connection.execute(
            f"select distinct brand_id from generated_ads where id in {_IN}", (ads,)
        )
    ]
    stored = _read_days(
        connection, "select * from ad_performance_totals where generated_ad_id in " + _IN, ads
    )
    last_day = daily["ad_id"].map(stored.set_index("ad_id")["last_date"]).astype("str").fillna("")
    fresh = daily["date"].gt(last_day) | daily["date"].isna()
    new, old = daily[fresh], daily[~fresh]
    connection.executemany(f"insert into ad_performance ({_DAILY}) values ({_PLACES})", _tuples(new))
    updated = connection.executemany(
        f"update ad_performance set ({_DAILY_VALUES}) = (?3, ?4, ?5, ?6, ?7, ?8) where generated_ad_id = ?1"
        f" and date = ?2 and ({_DAILY_VALUES}) is not (?3, ?4, ?5, ?6, ?7, ?8)",
        _tuples(old),
    ).rowcount
    inserted = connection.executemany(
        f"insert into ad_performance ({_DAILY}) values ({_PLACES}) on conflict do nothing", _tuples(old)
    ).rowcount
    counts = {"inserted": len(new) + inserted, "updated": updated, "unchanged": len(old) - updated - inserted}
    summed_again = old["ad_id"].unique() if updated or inserted else []
    carried_on = new[~new["ad_id"].isin(summed_again)]
    again = _read_days(
        connection,
        f"select {_DAILY} from ad_performance where generated_ad_id in {_IN} order by generated_ad_id, date",
        dumps(list(summed_again)),
    )
    for days, before in ((carried_on, stored), (again, stored.iloc[:0])):
        connection.executemany(TOTALS_SQL, _totals(days, before.set_index("ad_id")))
    counts["job_id"] = record_job(
        connection, "import_performance", brand_ids, "succeeded", started, dict(counts)
    )
    return counts


def _daily_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` as ad_performance stores them (dates as text, blanks as 0 and objectives trimmed or null),
    in key order, one per (ad, date): the last given."""
    rows = payloads.with_columns(rows, payloads.PERFORMANCE_PAYLOAD)
    day = pd.to_datetime(rows["date"], format="ISO8601").dt.normalize()
    if day.dt.tz is not None:
        day = day.dt.tz_convert("UTC").dt.tz_localize(None)
    codes, days = pd.factorize(day)
    objective = rows["campaign_objective"].astype("str").str.strip(" ")  # SQLite's trim()
    daily = pd.DataFrame(
        {
            "ad_id": rows["ad_id"].astype("str"),
            "date": pd.Series(np.asarray(days.strftime("%Y-%m-%d"), dtype=object)[codes], index=rows.index)
            .where(codes >= 0)
            .astype("str"),
            **{name: rows[name].fillna(0) for name in (*COUNTS, *MONEY)},
            "campaign_objective": objective.where(objective.ne("")),
        }
    ).sort_values(["ad_id", "date"], kind="stable")
    last = daily["ad_id"].ne(daily["ad_id"].shift(-1)) | daily["date"].ne(daily["date"].shift(-1))
    return daily[last].reset_index(drop=True)


def _tuples(daily: pd.DataFrame) -> Iterator[tuple]:
    """The rows of a `_daily_rows` frame as parameters, None where missing."""
    columns = (daily[name] for name in daily.columns)
    return zip(
        *(c.astype(object).where(c.notna(), None).tolist() if c.hasnans else c.tolist() for c in columns),
        strict=True,
    )


def _read_days(connection: sqlite3.Connection, sql: str, ads: str) -> pd.DataFrame:
    cursor = connection.execute(sql, (ads,))
    names = ["ad_id", *(column[0] for column in cursor.description[1:])]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def _totals(days: pd.DataFrame, before: pd.DataFrame) -> Iterator[tuple]:
    """Rows of ad_performance_totals for the ads of `days` (`_daily_rows` order): their counts summed and
    amounts added one day after another (MoneySum's order), carried on from their totals in `before`
    (by ad id) where there are any, with their first and last dates and latest objective."""
    if days.empty:
        return iter(())
    ad = days["ad_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ad[1:] != ad[:-1]])
    ends = np.r_[starts[1:], len(ad)] - 1
    before = before.reindex(ad[starts])
    carried = before["last_date"].notna().to_numpy()
    named = np.where(days["campaign_objective"].notna(), np.arange(len(ad)), -1)
    latest = np.maximum.reduceat(named, starts)
    objective = np.where(
        latest >= 0, days["campaign_objective"].to_numpy()[latest], before["campaign_objective"].fillna("")
    )
    columns = [
        ad[starts],
        *(
            np.add.reduceat(days[name].to_numpy(), starts) + before[name].fillna(0).to_numpy(days[name].dtype)
            for name in COUNTS
        ),
        *(
            _folded(days[name].to_numpy(float), starts, before[name].where(carried).to_numpy(float))
            for name in MONEY
        ),
        np.where(carried, before["first_date"], days["date"].to_numpy()[starts]),
        days["date"].to_numpy()[ends],
        objective,
    ]
    return zip(*(np.asarray(column).tolist() for column in columns), strict=True)


def _folded(amounts: np.ndarray, starts: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Per run of `amounts` (runs begin at `starts`): initial + a0 + a1 + ..., one addition after
    another as MoneySum does (from a0 where `initial` is NaN). One numpy step per day of the longest run."""
    lengths = np.diff(np.r_[starts, len(amounts)])
    order = np.argsort(-lengths, kind="stable")  # longest first: the runs still going at day k lead
    first, lengths = starts[order], lengths[order]
    start = initial[order]
    total = np.where(np.isnan(start), amounts[first], start + amounts[first])
    ascending = lengths[::-1]
    for day in range(1, int(lengths[0])):
        going = len(lengths) - int(np.searchsorted(ascending, day, side="right"))
        total[:going] += amounts[first[:going] + day]
    folded = np.empty_like(total)
    folded[order] = total
    return folded


def apply_refresh(
    connection: sqlite3.Connection,
    brand_ids: Sequence[str],
    as_of: date,
    outputs: RefreshOutputs,
    started: datetime,
) -> dict:
    """Rewards upserted where changed (stale ones removed), scores replaced keeping unchanged rows,
    history snapshot for `as_of` upserted, job run recorded: what genome_apply_refresh does."""
    now = timestamp_text(utc_now())
    _set_brands(connection, brand_ids)
    job_id = connection.execute(
        "insert into genome_job_runs (job_type, brand_id, started_at, status) values ('refresh', ?, ?, 'running')",
        (brand_ids[0] if len(brand_ids) == 1 else None, timestamp_text(started)),
    ).lastrowid
    reward_counts = _store_rewards(connection, outputs.rewards, now)
    score_counts = _store_scores(connection, outputs.scores, as_of, job_id, now)
    summary = {
        **outputs.summary,
        **job_context(brand_ids, as_of),
        **reward_counts,
        **score_counts,
        "duration_seconds": seconds_since(started),
    }
    connection.execute(
        "update genome_job_runs set status = 'succeeded', finished_at = ?, summary = ? where id = ?",
        (timestamp_text(utc_now()), dumps(summary), job_id),
    )
    return {**json.loads(dumps(summary)), "job_id": job_id}


def _set_brands(connection: sqlite3.Connection, brand_ids: Sequence[str]) -> None:
    """temp.incoming_brands := the brands a job covers (`_REFRESHED`)."""
    connection.execute("delete from temp.incoming_brands")
    connection.executemany("insert or ignore into temp.incoming_brands values (?)", [(b,) for b in brand_ids])


def _store_rewards(connection: sqlite3.Connection, rewards: pd.DataFrame, now: str) -> dict:
    """Upsert the rewards of the refreshed brands where changed and remove their stale ones; counts."""
    # the rows to store, reward_components built as they go in; only rows of an ad of a refreshed
    # brand are kept (their brand is the ad's), then counted against the stored rows and upserted
    connection.execute("delete from temp.incoming_reward_rows")
    connection.executemany(
        "insert or replace into temp.incoming_reward_rows (generated_ad_id, brand_id, reward_score,"
        " reward_components, campaign_objective, maturity, impressions_at_reward, matured_at)"
        f" values (?, ?, ?, {_COMPONENTS}, coalesce(?, ''), ?, coalesce(?, 0), ?)",
        payloads.to_rows(rewards, payloads.REWARD_PAYLOAD),
    )
    connection.execute(
        "delete from temp.incoming_reward_rows as i where not exists (select 1 from generated_ads a"
        f" where a.id = i.generated_ad_id and a.brand_id = i.brand_id and a.brand_id in {_REFRESHED})"
    )
    columns = (
        "brand_id, reward_score, reward_components, campaign_objective, maturity,"
        " impressions_at_reward, matured_at"
    )
    total = connection.execute("select count(*) from temp.incoming_reward_rows").fetchone()[0]
    existing = connection.execute(
        "select count(*) from temp.incoming_reward_rows i where exists"
        " (select 1 from creative_element_rewards c where c.generated_ad_id = i.generated_ad_id)"
    ).fetchone()[0]
    written = connection.execute(
        f"insert into creative_element_rewards (generated_ad_id, {columns}, computed_at)"
        f" select generated_ad_id, {columns}, ? from temp.incoming_reward_rows where true"
        f" on conflict (generated_ad_id) do update set {_assign(columns + ', computed_at')}"
        f" where ({_qualified('creative_element_rewards', columns)}) is not ({_qualified('excluded', columns)})",
        (now,),
    ).rowcount
    new = total - existing
    updated = written - new
    stored = connection.execute(
        f"select count(*) from creative_element_rewards where brand_id in {_REFRESHED}"
    ).fetchone()[0]
    removed = 0
    if stored > total:  # every kept incoming row is stored now: the rest are stale
        removed = connection.execute(
            f"delete from creative_element_rewards where brand_id in {_REFRESHED} and generated_ad_id"
            " not in (select generated_ad_id from temp.incoming_reward_rows)"
        ).rowcount
    return {
        "rewards_new": new,
        "rewards_updated": updated,
        "rewards_unchanged": existing - updated,
        "rewards_removed": removed,
    }


def _store_scores(
    connection: sqlite3.Connection, scores: pd.DataFrame, as_of: date, job_id: int | None, now: str
) -> dict:
    """Replace the scores of the refreshed brands, keeping unchanged rows, and upsert their history
    snapshot for `as_of`; counts (scores, elements_updated)."""
    fill(connection, "incoming_scores", scores, payloads.SCORE_PAYLOAD)
    connection.execute(f"delete from temp.incoming_scores where brand_id not in {_REFRESHED}")
    connection.execute(
        "update temp.incoming_scores set prior_alpha = coalesce(prior_alpha, 1), prior_beta = coalesce(prior_beta, 1),"
        " prior_source = coalesce(prior_source, 'uniform'), total_observations = coalesce(total_observations, 0)"
    )
    count = connection.execute("select count(*) from temp.incoming_scores").fetchone()[0]
    values = "alpha, beta, prior_alpha, prior_beta, prior_source, total_observations, mean_reward"
    key = "brand_id, element_name, element_value"
    changed = connection.execute(
        f"insert into creative_element_scores ({key}, {values}, last_updated)"
        f" select {key}, {values}, ? from temp.incoming_scores where true on conflict ({key}) do update set"
        f" {_assign(values + ', last_updated')}"
        f" where ({_qualified('creative_element_scores', values)}) is not ({_qualified('excluded', values)})",
        (now,),
    ).rowcount
    changed += connection.execute(
        f"delete from creative_element_scores where brand_id in {_REFRESHED} and ({key}) not in"
        f" (select {key} from temp.incoming_scores)"
    ).rowcount
    history = "alpha, beta, mean_reward, total_observations"
    connection.execute(
        f"insert into creative_element_score_history ({key}, as_of, {history}, job_run_id)"
        f" select {key}, ?, {history}, ? from temp.incoming_scores where true"
        f" on conflict ({key}, as_of) do update set {_assign(history + ', job_run_id')}"
        f" where ({_qualified('creative_element_score_history', history)}) is not ({_qualified('excluded', history)})",
        (as_of.isoformat(), job_id),
    )
    connection.execute(
        f"delete from creative_element_score_history where brand_id in {_REFRESHED} and as_of = ?"
        f" and ({key}) not in (select {key} from temp.incoming_scores)",
        (as_of.isoformat(),),
    )
    return {"scores": count, "elements_updated": changed}


def apply_validation(
    connection: sqlite3.Connection,
    brand_ids: Sequence[str],
    as_of: date,
    outputs: ValidateOutputs,
    started: datetime,
) -> dict:
    """Metric history upserted; alert actions applied in order resolve, update, open."""
    now = timestamp_text(utc_now())
    _set_brands(connection, brand_ids)
    fill(connection, "incoming_metrics", outputs.metrics, HEALTH_METRIC_COLUMNS)
    connection.execute(f"delete from temp.incoming_metrics where brand_id not in {_REFRESHED}")
    metrics = connection.execute("select count(*) from temp.incoming_metrics").fetchone()[0]
    values = "metric_value, warning, critical"
    connection.execute(
        f"insert into health_metric_history (as_of, brand_id, metric_name, {values})"
        f" select ?, brand_id, metric_name, {values} from temp.incoming_metrics where true"
        f" on conflict (brand_id, metric_name, as_of) do update set {_assign(values)}"
        f" where ({_qualified('health_metric_history', values)}) is not ({_qualified('excluded', values)})",
        (as_of.isoformat(),),
    )

    counts = _apply_alert_actions(connection, outputs.actions, as_of.isoformat(), now)
    summary = {
        **outputs.summary,
        **job_context(brand_ids, as_of),
        "metrics": metrics,
        **counts,
        "duration_seconds": seconds_since(started),
    }
    job_id = record_job(connection, "validate", brand_ids, "succeeded", started, summary)
    return {**json.loads(dumps(summary)), "job_id": job_id}


#: each action's target: for an open, the unresolved alert of its (brand, alert_type) if any; for an
#: update or resolve, alert alert_id while unresolved. A brand validated at a later date (a backfill)
#: or an alert last changed at a later as_of is left alone.
_PLAN_SQL = f"""
insert into temp.alert_plan
select s.id, a.brand_id, a.alert_type,
       case when a.action = 'resolve' then 'resolve' when s.id is null then 'open' else 'update' end,
       case when 'critical' in (s.severity, a.severity) then 'critical' else a.severity end,
       a.metric_value, a.threshold_value, a.message,
       case when s.status = 'acknowledged' and s.severity = 'warning' and a.severity = 'critical' then 'open'
            else coalesce(s.status, 'open') end,
       s.as_of is null or s.as_of < :as_of,
       s.status = 'acknowledged' and s.severity = 'warning' and a.severity = 'critical'
from temp.incoming_actions a
left join system_alerts s on s.brand_id = a.brand_id and s.alert_type = a.alert_type and s.status <> 'resolved'
      and (a.action = 'open' or s.id = a.alert_id)
where a.ord in (select max(ord) from temp.incoming_actions group by brand_id, alert_type)
  and a.brand_id in {_REFRESHED}
  and (a.action = 'open' or s.id is not null)
  and (s.as_of is null or s.as_of <= :as_of)
  and not exists (select 1 from health_metric_history h where h.brand_id = a.brand_id and h.as_of > :as_of)
"""


def _apply_alert_actions(connection: sqlite3.Connection, actions: pd.DataFrame, as_of: str, now: str) -> dict:
    """Resolve, update and open alerts; a repeat at the same as_of changes nothing (the triggers in
    the baseline append the events). Mirrors functions/genome_apply_validation.sql."""
    fill(connection, "incoming_actions", actions, ALERT_ACTION_COLUMNS)
    bad = connection.execute(
        "select count(*) from temp.incoming_actions where coalesce(action, '') not in"
        " (select value from json_each(?))",
        (dumps(ALERT_ACTIONS),),
    ).fetchone()[0]
    if bad:
        raise ValueError("alert action must be open, update or resolve")
    connection.execute(
        "update temp.incoming_actions set severity = coalesce(severity, 'warning'), message = coalesce(message, '')"
    )
    connection.execute("delete from temp.alert_plan")
    connection.execute(_PLAN_SQL, {"as_of": as_of})
    params = {"as_of": as_of, "now": now}
    resolved = connection.execute(
        "update system_alerts as s set status = 'resolved', resolved_by = 'system', resolved_at = :now,"
        " resolution_note = p.message, metric_value = coalesce(p.metric_value, s.metric_value), as_of = :as_of"
        " from temp.alert_plan p where p.action = 'resolve' and s.id = p.alert_id",
        params,
    ).rowcount
    reopened = connection.execute(
        "select count(*) from temp.alert_plan where action = 'update' and reopened"
    ).fetchone()[0]
    updated = connection.execute(
        "update system_alerts as s set severity = p.severity, status = p.status, metric_value = p.metric_value,"
        " threshold_value = p.threshold_value, message = p.message, occurrences = s.occurrences + p.seen_again,"
        " as_of = :as_of, last_seen_at = :now"
        " from temp.alert_plan p where p.action = 'update' and s.id = p.alert_id and (p.seen_again"
        " or (s.severity, s.status, s.metric_value, s.threshold_value, s.message)"
        " is not (p.severity, p.status, p.metric_value, p.threshold_value, p.message))",
        params,
    ).rowcount
    opened = connection.execute(
        "insert into system_alerts (brand_id, alert_type, severity, status, metric_value, threshold_value,"
        " message, first_seen_at, last_seen_at, occurrences, as_of)"
        " select brand_id, alert_type, severity, 'open', metric_value, threshold_value, message, :now, :now, 1, :as_of"
        " from temp.alert_plan where action = 'open' order by brand_id, alert_type",
        params,
    ).rowcount
    return {
        "alerts_opened": opened,
        "alerts_updated": updated,
        "alerts_reopened": reopened,
        "alerts_resolved": resolved,
    }


def _qualified(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


def _assign(columns: str) -> str:
    return ", ".join(f"{column.strip()} = excluded.{column.strip()}" for column in columns.split(","))


#: the write of each import job
IMPORTS: dict[str, Callable[[sqlite3.Connection, pd.DataFrame, datetime], dict]] = {
    "import_ads": import_ads,
    "import_performance": import_performance,
}
