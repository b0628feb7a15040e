"""The Store's reads of tables, each defined once for every backend.

A `Read` names the table, the frame it returns (a frames spec), its filters, its order (a unique key,
so pages over REST neither overlap nor skip rows) and its limit. `sql` renders one for SQLite and
Postgres; the supabase backend asks PostgREST for it. `TableReads` gives a backend the Store's reads
over its one primitive, `_select(read, connection)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd

from genome.store import frames
from genome.store.common import JobRun, alert_statuses
from genome.vocabulary import WRITE_JOB_TYPES

#: a stored reward's frame columns where they differ from the table's (`column->key`: a JSON number)
REWARD_SOURCES = {"ad_id": "generated_ad_id"} | {
    name: f"reward_components->{name}" for name in frames.REWARD_COMPONENTS
}
NEWEST_WRITES: dict[str, frames.Kind] = {"id": "int", "job_type": "str", "summary": "json"}


@dataclass(frozen=True)
class Filter:
    """`column = value` (or `>=` with `at_least`), or `column in value` when `value` is a tuple."""

    column: str
    value: object
    at_least: bool = False


@dataclass(frozen=True)
class Read:
    """Rows of a table, or (with `function_args`, over REST only) of a set-returning SQL function."""

    source: str
    spec: Mapping[str, frames.Kind]
    order: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    descending: bool = False
    limit: int | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # frame column -> table column
    function_args: Mapping[str, object] | None = None

    @property
    def is_function(self) -> bool:
        return self.function_args is not None


def _among(column: str, values: Sequence[object] | None) -> tuple[Filter, ...]:
    return () if values is None else (Filter(column, tuple(values)),)


def _equal(column: str, value: object | None) -> tuple[Filter, ...]:
    return () if value is None else (Filter(column, value),)


def brands() -> Read:
    return Read("brands", frames.BRANDS, ("id",))


def rewards(brand_ids: Sequence[str] | None) -> Read:
    filters = _among("brand_id", brand_ids)
    return Read(
        "creative_element_rewards", frames.REWARDS, ("generated_ad_id",), filters, sources=REWARD_SOURCES
    )


def scores(brand_ids: Sequence[str] | None) -> Read:
    order = ("brand_id", "element_name", "element_value")
    return Read("creative_element_scores", frames.SCORES, order, _among("brand_id", brand_ids))


def score_history(brand_id: str) -> Read:
    order = ("as_of", "element_name", "element_value")
    return Read(
        "creative_element_score_history", frames.SCORE_HISTORY, order, (Filter("brand_id", brand_id),)
    )


def score_history_since(since: date) -> Read:
    """Every brand's score snapshots from `since` on."""
    order = ("brand_id", "as_of", "element_name", "element_value")
    filters = (Filter("as_of", since, at_least=True),)
    return Read("creative_element_score_history", frames.SCORE_HISTORY_SINCE, order, filters)


def alerts(status: str | None, brand_ids: Sequence[str] | None) -> Read:
    """By status (None = all, 'unresolved'; GenomeError for another) and brands, latest first."""
    statuses = alert_statuses(status)
    filters = _among("brand_id", brand_ids) + _among("status", None if status is None else statuses)
    return Read("system_alerts", frames.ALERTS, ("last_seen_at", "id"), filters, descending=True)


def alert_events(alert_id: int | None, brand_id: str | None) -> Read:
    """The alert event history, oldest first, of one alert and/or one brand (None = all)."""
    filters = _equal("alert_id", None if alert_id is None else int(alert_id))
    filters += _among("brand_id", None if brand_id is None else (brand_id,))
    return Read("system_alert_events", frames.ALERT_EVENTS, ("id",), filters)


def metric_history(brand_id: str | None) -> Read:
    order = ("as_of", "brand_id", "metric_name")
    return Read("health_metric_history", frames.METRIC_HISTORY, order, _equal("brand_id", brand_id))


def job_runs(limit: int) -> Read:
    """The latest `limit` job runs, newest first."""
    return Read("genome_job_runs", frames.JOB_RUNS, ("started_at", "id"), descending=True, limit=int(limit))


def newest_writes() -> Read:
    """The two newest succeeded jobs that write what a refresh reads (`WRITE_JOB_TYPES`), newest
    first: what `common.unchanged_refresh` decides from."""
    filters = (Filter("status", "succeeded"), Filter("job_type", WRITE_JOB_TYPES))
    return Read("genome_job_runs", NEWEST_WRITES, ("id",), filters, descending=True, limit=2)


def sql(read: Read, dialect: Literal["sqlite", "postgres"]) -> tuple[str, list[object]]:
    """The query of a table read and its positional parameters, in SQLite's or Postgres's SQL."""
    postgres = dialect == "postgres"
    columns = []
    for name in read.spec:
        column, _, key = read.sources.get(name, name).partition("->")
        json_number = f"({column} ->> '{key}')::float8" if postgres else f"json_extract({column}, '$.{key}')"
        columns.append(json_number if key else column)
    text = f"select {', '.join(columns)} from {'public.' if postgres else ''}{read.source}"
    conditions, params = [], []
    for condition in read.filters:
        if not isinstance(condition.value, tuple):
            operator = ">=" if condition.at_least else "="
            conditions.append(f"{condition.column} {operator} {'%s' if postgres else '?'}")
            params.append(condition.value if postgres else _sqlite_value(condition.value))
        elif postgres:
            conditions.append(f"{condition.column} = any(%s::text[])")
            params.append(list(condition.value))
        else:
            conditions.append(f"{condition.column} in (select value from json_each(?))")
            params.append(json.dumps(list(condition.value)))
    if conditions:
        text += " where " + " and ".join(conditions)
    text += " order by " + ", ".join(f"{c}{' desc' if read.descending else ''}" for c in read.order)
    return text + ("" if read.limit is None else f" limit {int(read.limit)}"), params


class TableReads:
    """The Store's table reads and the job flow's reads of them, over a backend's `_select`."""

    def _select(self, read: Read, connection: object = None) -> pd.DataFrame:
        """The rows of `read` as its frame (in the job's transaction when `connection` is given)."""
        raise NotImplementedError

    def brands(self) -> pd.DataFrame:
        return self._select(brands())

    def rewards(self, brand_id: str | None = None) -> pd.DataFrame:
        return self._select(rewards(_one(brand_id)))

    def scores(self, brand_id: str | None = None) -> pd.DataFrame:
        return self._select(scores(_one(brand_id)))

    def score_history(self, brand_id: str) -> pd.DataFrame:
        return self._select(score_history(brand_id))

    def score_history_since(self, since: date) -> pd.DataFrame:
        return self._select(score_history_since(since))

    def alerts(self, status: str | None = None, brand_id: str | None = None) -> pd.DataFrame:
        return self._select(alerts(status, _one(brand_id)))

    def alert_events(self, alert_id: int | None = None, brand_id: str | None = None) -> pd.DataFrame:
        return self._select(alert_events(alert_id, brand_id))

    def metric_history(self, brand_id: str | None = None) -> pd.DataFrame:
        return self._select(metric_history(brand_id))

    def job_runs(self, limit: int = 50) -> pd.DataFrame:
        return self._select(job_runs(limit))

    def _read_brands(self, connection: object) -> pd.DataFrame:
        return self._select(brands(), connection)

    def _read_scores(self, connection: object) -> pd.DataFrame:
        return self._select(scores(None), connection)

    def _read_newest_writes(self, connection: object) -> list[dict]:
        return self._select(newest_writes(), connection).to_dict("records")

    def _read_unresolved_alerts(self, connection: object, run: JobRun) -> pd.DataFrame:
        """For every brand, no brand list (REST: none in the GET URL); kept to the job's brands (over
        REST a brand created since they were resolved is not part of this job)."""
        read = alerts("unresolved", None if run.every_brand else run.brand_ids)
        found = self._select(read, connection)
        return found[found["brand_id"].isin(run.brand_ids)].reset_index(drop=True)


def _sqlite_value(value: object) -> object:
    """SQLite stores dates as ISO text, which compares like time."""
    return value.isoformat() if isinstance(value, date) else value


def _one(brand_id: str | None) -> list[str] | None:
    return None if brand_id is None else [brand_id]
