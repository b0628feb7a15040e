"""What the Supabase backend asks the REST API, built without any I/O.

Like postgrest's `pre_select`, every function here returns plain frozen data: a `PagedRead` (a table
or a set-returning SQL function, read 1,000 rows at a time in a stable key order), a `KeysetRead` (a
set-returning SQL function (genome/migrations/postgres/functions) that computes one page, the rows after the
last key read) or an `RpcCall` (one SQL function call; a write's jsonb arguments carry a whole job).
`wire_request` renders each as the exact HTTP request supabase-py sends, so the request shapes are
tested without a network and `genome.store.supabase` stays the one thin place that talks to the server.

Paging assumes the project's PostgREST `max-rows` is at least `PAGE_SIZE` (Supabase's default is
exactly 1,000): a read stops at the first short page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from genome.store import common, frames, payloads
from genome.vocabulary import ALERT_ACTION_COLUMNS, HEALTH_METRIC_COLUMNS, WRITE_JOB_TYPES, JobStatus, JobType

PAGE_SIZE = 1000  # rows per page: Supabase's default max-rows, which silently caps every response
# ids per genome_known_ad_ids call: it answers one row per known id, so the answer never reaches the
# max-rows cap (and the body stays a few tens of KB)
IDS_PER_CALL = PAGE_SIZE
RESERVED_IN_VALUES = ',:()"\\'  # characters PostgREST needs quoted inside in.(…)

COMPONENTS = frozenset(frames.REWARD_COMPONENTS)
# A stored reward in the frames.REWARDS columns: PostgREST renames generated_ad_id and takes each
# component out of the reward_components JSON (`alias:column->key`).
REWARD_SELECT = tuple(
    "ad_id:generated_ad_id"
    if name == "ad_id"
    else f"{name}:reward_components->{name}"
    if name in COMPONENTS
    else name
    for name in frames.REWARDS
)


@dataclass(frozen=True)
class Filter:
    """One PostgREST filter: `column=eq.value` or `column=in.(a,b)`."""

    column: str
    operator: Literal["eq", "in"]
    value: str | tuple[str, ...]

    def query_value(self) -> str:
        if self.operator == "eq":
            return f"eq.{self.value}"
        return "in.(" + ",".join(_quote_in_value(v) for v in self.value) + ")"


@dataclass(frozen=True)
class PagedRead:
    """Rows of a table (GET) or of a set-returning SQL function (POST /rpc) in pages of `PAGE_SIZE`.

    `order` must be a unique key so pages neither overlap nor skip rows; `limit` stops early.
    """

    source: str
    order: tuple[str, ...]
    columns: tuple[str, ...] = ("*",)
    filters: tuple[Filter, ...] = ()
    function_args: Mapping[str, object] | None = None  # set: `source` is a SQL function
    descending: bool = False
    limit: int | None = None

    @property
    def is_function(self) -> bool:
        return self.function_args is not None


@dataclass(frozen=True)
class KeysetRead:
    """Rows of a set-returning SQL function in pages of `PAGE_SIZE` (argument `p_limit`), each page
    asking for the rows after the last one read: the server computes one page, not the whole set.

    `order` is the function's unique row order; `after_args[i]` is the argument that takes the last
    row's `order[i]` (null on the first page).
    """

    function: str
    args: Mapping[str, object]
    order: tuple[str, ...]
    after_args: tuple[str, ...]


@dataclass(frozen=True)
class RpcCall:
    """One SQL function call; a write function applies its whole job in one transaction."""

    function: str
    args: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class WireRequest:
    """The HTTP request supabase-py sends: path under /rest/v1, query params in order, JSON body."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    body: bytes | None


# --- paging and rendering -----------------------------------------------------------------------


def page_range(read: PagedRead, page: int) -> tuple[int, int]:
    """Inclusive (start, end) row indexes of page `page`, as `.range(start, end)` takes them."""
    start = page * PAGE_SIZE
    end = start + PAGE_SIZE - 1
    if read.limit is not None:
        end = min(end, read.limit - 1)
    return start, end


def is_last_page(read: PagedRead, page: int, rows_received: int, rows_so_far: int) -> bool:
    """A short page ends the read; so does reaching `limit`."""
    start, end = page_range(read, page)
    return rows_received < end - start + 1 or (read.limit is not None and rows_so_far >= read.limit)


def keyset_args(read: KeysetRead, last_row: Mapping[str, object] | None) -> dict[str, object]:
    """The function's arguments for the page after `last_row` (None: the first page)."""
    pairs = zip(read.order, read.after_args, strict=True)
    after = {arg: None if last_row is None else last_row[column] for column, arg in pairs}
    return {**read.args, **after, "p_limit": PAGE_SIZE}


def is_last_keyset_page(rows_received: int) -> bool:
    """A short page ends a keyset read."""
    return rows_received < PAGE_SIZE


def wire_request(
    request: PagedRead | KeysetRead | RpcCall, page: int = 0, last_row: Mapping[str, object] | None = None
) -> WireRequest:
    """The exact request for one page of a read (`page` of a `PagedRead`; the page after `last_row`
    of a `KeysetRead`), or for a call: what supabase-py puts on the wire."""
    if isinstance(request, RpcCall):
        return WireRequest("POST", f"/rpc/{request.function}", (), encode_json(dict(request.args)))
    if isinstance(request, KeysetRead):
        params = (("order", ",".join(f"{column}.asc" for column in request.order)),)
        body = encode_json(keyset_args(request, last_row))
        return WireRequest("POST", f"/rpc/{request.function}", params, body)
    params: list[tuple[str, str]] = []
    if not request.is_function:
        params.append(("select", ",".join(request.columns)))
    params += [(f.column, f.query_value()) for f in request.filters]
    direction = "desc" if request.descending else "asc"
    params.append(("order", ",".join(f"{column}.{direction}" for column in request.order)))
    start, end = page_range(request, page)
    params += [("offset", str(start)), ("limit", str(end - start + 1))]
    if request.is_function:
        body = encode_json(dict(request.function_args or {}))
        return WireRequest("POST", f"/rpc/{request.source}", tuple(params), body)
    return WireRequest("GET", f"/{request.source}", tuple(params), None)


def encode_json(value: object) -> bytes:
    """JSON the way postgrest encodes a body: compact, UTF-8, NaN refused (payloads carry null)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _quote_in_value(value: str) -> str:
    text = str(value)
    if any(char in text for char in RESERVED_IN_VALUES):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _brand_filter(brand_ids: Sequence[str] | None, column: str = "brand_id") -> tuple[Filter, ...]:
    return () if brand_ids is None else (Filter(column, "in", tuple(brand_ids)),)


# --- reads ----------------------------------------------------------------------------------------


def brands_read() -> PagedRead:
    return PagedRead("brands", order=("id",), columns=tuple(frames.BRANDS))


def ad_aggregates_read(brand_ids: Sequence[str] | None, as_of: date | None) -> KeysetRead:
    """Per-ad aggregates, computed in SQL from the daily rows up to `as_of`, a page of ads at a time."""
    args = {"p_brand_ids": _text_array(brand_ids), "p_as_of": as_of.isoformat() if as_of else None}
    return KeysetRead("genome_ad_aggregates", args, ("ad_id",), ("p_after_ad_id",))


def ad_elements_read(brand_ids: Sequence[str] | None, elements: Sequence[str] | None) -> KeysetRead:
    """One row per (brand, element, value) with its ad ids (frames.elements_from_groups unfolds
    them): pages of values, never of element rows."""
    args = {"p_brand_ids": _text_array(brand_ids), "p_elements": _text_array(elements)}
    order = ("brand_id", "element_name", "element_value")
    after = ("p_after_brand_id", "p_after_element_name", "p_after_element_value")
    return KeysetRead("genome_ad_element_groups", args, order, after)


def brand_overview_read(winner_threshold: float) -> PagedRead:
    args = {"p_winner_threshold": float(winner_threshold)}
    return PagedRead("genome_brand_overview", order=("brand_id",), function_args=args)


def brand_stats_call(brand_id: str, since: date, until: date) -> RpcCall:
    """One brand's counts (functions/genome_brand_stats.sql): a JSON object, or null for no brand."""
    return RpcCall(
        "genome_brand_stats",
        {"p_brand_id": brand_id, "p_since": since.isoformat(), "p_until": until.isoformat()},
    )


def rewards_read(brand_ids: Sequence[str] | None) -> PagedRead:
    return PagedRead(
        "creative_element_rewards",
        order=("generated_ad_id",),
        columns=REWARD_SELECT,
        filters=_brand_filter(brand_ids),
    )


def scores_read(brand_ids: Sequence[str] | None) -> PagedRead:
    return PagedRead(
        "creative_element_scores",
        order=("brand_id", "element_name", "element_value"),
        columns=tuple(frames.SCORES),
        filters=_brand_filter(brand_ids),
    )


def score_history_read(brand_id: str) -> PagedRead:
    return PagedRead(
        "creative_element_score_history",
        order=("as_of", "element_name", "element_value"),
        columns=tuple(frames.SCORE_HISTORY),
        filters=(Filter("brand_id", "eq", brand_id),),
    )


def alerts_read(status: str | None, brand_ids: Sequence[str] | None) -> PagedRead:
    """Alerts by status (None = all, 'unresolved' = open or acknowledged) and brands, latest first."""
    statuses = common.alert_statuses(status)  # GenomeError for an unknown status
    filters = _brand_filter(brand_ids)
    if status is not None:
        filters += (Filter("status", "in", statuses),)
    columns = tuple(frames.ALERTS)
    return PagedRead("system_alerts", ("last_seen_at", "id"), columns, filters, descending=True)


def alert_events_read(alert_id: int | None, brand_id: str | None) -> PagedRead:
    """The alert event history, oldest first, of one alert and/or one brand (None = all)."""
    filters = () if alert_id is None else (Filter("alert_id", "eq", str(int(alert_id))),)
    filters += _brand_filter(None if brand_id is None else [brand_id])
    return PagedRead("system_alert_events", ("id",), tuple(frames.ALERT_EVENTS), filters)


def metric_history_read(brand_id: str | None) -> PagedRead:
    return PagedRead(
        "health_metric_history",
        order=("as_of", "brand_id", "metric_name"),
        columns=tuple(frames.METRIC_HISTORY),
        filters=() if brand_id is None else (Filter("brand_id", "eq", brand_id),),
    )


def job_runs_read(limit: int) -> PagedRead:
    """The latest `limit` job runs, newest first."""
    columns = tuple(frames.JOB_RUNS)
    return PagedRead("genome_job_runs", ("started_at", "id"), columns, descending=True, limit=limit)


def newest_writes_read() -> PagedRead:
    """The two newest succeeded jobs that write what a refresh reads (`WRITE_JOB_TYPES`), newest
    first, in one request: what `common.unchanged_refresh` decides from."""
    return PagedRead(
        "genome_job_runs",
        order=("id",),
        columns=("id", "job_type", "summary"),
        filters=(Filter("status", "eq", "succeeded"), Filter("job_type", "in", WRITE_JOB_TYPES)),
        descending=True,
        limit=2,
    )


def known_ad_ids_calls(ad_ids: Iterable[str]) -> tuple[RpcCall, ...]:
    """Existence checks for ad ids in the body of genome_known_ad_ids calls, `IDS_PER_CALL` distinct
    ids per call (each answer then fits in one response); no call for no ids."""
    unique = sorted(set(ad_ids))
    return tuple(
        RpcCall("genome_known_ad_ids", {"p_ad_ids": unique[i : i + IDS_PER_CALL]})
        for i in range(0, len(unique), IDS_PER_CALL)
    )


# --- writes: one call per job ---------------------------------------------------------------------


def save_brands_call(brands: pd.DataFrame) -> RpcCall:
    return RpcCall("genome_save_brands", {"p_brands": payloads.to_records(brands, payloads.BRAND_PAYLOAD)})


def import_ads_call(ads: pd.DataFrame, started_at: datetime) -> RpcCall:
    args = {"p_ads": payloads.to_records(ads, payloads.AD_PAYLOAD), "p_started_at": _timestamp(started_at)}
    return RpcCall("genome_import_ads", args)


def import_performance_call(rows: pd.DataFrame, started_at: datetime) -> RpcCall:
    args = {
        "p_rows": payloads.to_records(rows, payloads.PERFORMANCE_PAYLOAD),
        "p_started_at": _timestamp(started_at),
    }
    return RpcCall("genome_import_performance", args)


def apply_refresh_call(
    brand_ids: Sequence[str],
    as_of: date,
    rewards: pd.DataFrame,
    scores: pd.DataFrame,
    summary: Mapping[str, object],
    started_at: datetime,
) -> RpcCall:
    """The whole refresh write: rewards and complete scores of `brand_ids`, as one transaction."""
    args = {
        "p_brand_ids": list(brand_ids),
        "p_as_of": as_of.isoformat(),
        "p_rewards": payloads.to_records(rewards, payloads.REWARD_PAYLOAD),
        "p_scores": payloads.to_records(scores, payloads.SCORE_PAYLOAD),
        "p_summary": json_safe(summary),
        "p_started_at": _timestamp(started_at),
    }
    return RpcCall("genome_apply_refresh", args)


def apply_validation_call(
    brand_ids: Sequence[str],
    as_of: date,
    metrics: pd.DataFrame,
    actions: pd.DataFrame,
    summary: Mapping[str, object],
    started_at: datetime,
) -> RpcCall:
    """The whole validation write: metric history and alert actions, as one transaction."""
    args = {
        "p_brand_ids": list(brand_ids),
        "p_as_of": as_of.isoformat(),
        "p_metrics": payloads.to_records(metrics, HEALTH_METRIC_COLUMNS),
        "p_actions": payloads.to_records(actions, ALERT_ACTION_COLUMNS),
        "p_summary": json_safe(summary),
        "p_started_at": _timestamp(started_at),
    }
    return RpcCall("genome_apply_validation", args)


def set_alert_status_call(alert_id: int, status: str, by: str, note: str, at: datetime) -> RpcCall:
    args = {
        "p_alert_id": int(alert_id),
        "p_status": status,
        "p_by": by,
        "p_note": note,
        "p_at": _timestamp(at),
    }
    return RpcCall("genome_set_alert_status", args)


def record_failed_job_call(
    job_type: JobType, brand_ids: Sequence[str] | None, as_of: date | None, started_at: datetime, error: str
) -> RpcCall:
    """The failed-job record written after a job's own transaction did not commit."""
    summary = common.job_context(brand_ids or (), as_of)
    return _record_job_call(job_type, brand_ids, "failed", started_at, summary, error)


def job_run_call(
    job_type: JobType,
    brand_ids: Sequence[str],
    started_at: datetime,
    summary: Mapping[str, object],
    error: str | None,
) -> RpcCall:
    """The record of a run that wrote nothing else (a daily run's, a notification batch's):
    succeeded, or failed with `error`."""
    status = "failed" if error else "succeeded"
    return _record_job_call(job_type, brand_ids, status, started_at, json_safe(summary), error)


def skipped_refresh_call(
    brand_ids: Sequence[str], summary: Mapping[str, object], started_at: datetime
) -> RpcCall:
    """The whole write of a refresh skipped because nothing it reads changed: a succeeded run with
    `summary` (`common.skipped_refresh_summary` and `common.refresh_marks`)."""
    return _record_job_call("refresh", brand_ids, "succeeded", started_at, json_safe(summary), None)


def _record_job_call(
    job_type: JobType,
    brand_ids: Sequence[str] | None,
    status: JobStatus,
    started_at: datetime,
    summary: object,
    error: str | None,
) -> RpcCall:
    args = {
        "p_job_type": job_type,
        "p_brand_ids": _text_array(brand_ids),
        "p_status": status,
        "p_started_at": _timestamp(started_at),
        "p_summary": summary,
        "p_error": error,
    }
    return RpcCall("genome_record_job", args)


# --- JSON payloads ---------------------------------------------------------------------------------


def json_safe(value: object) -> object:
    """A small job summary (nested dicts, lists, numpy scalars) as JSON-ready values; NaN -> None."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date | datetime):
        return _timestamp(value) if isinstance(value, datetime) else value.isoformat()
    return value


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z (a naive datetime is UTC already), as every backend stores it."""
    return payloads.timestamp_text(moment)


def _text_array(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]
