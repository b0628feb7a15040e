"""What the Supabase backend asks the REST API, built without any I/O.

Like postgrest's `pre_select`, every function here returns plain frozen data: a `PagedRead` (a table
or a set-returning SQL function, read 1,000 rows at a time in a stable key order) or an `RpcCall`
(one SQL function call whose jsonb arguments carry a whole job). `wire_request` renders either as the
exact HTTP request supabase-py sends, so the request shapes are tested without a network and
`genome.store.supabase` stays the one thin place that talks to the server.

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

PAGE_SIZE = 1000  # rows per page: Supabase's default max-rows, which silently caps every response
IDS_PER_FILTER = 100  # ids per `in.(…)` filter: keeps a GET URL far below proxy limits (~8 KB)
RESERVED_IN_VALUES = ',:()"\\'  # characters PostgREST needs quoted inside in.(…)

BRAND_COLUMNS = ("id", "name", "organization_id", "cross_brand_sharing", "created_at")
AD_AGGREGATE_COLUMNS = (
    "ad_id",
    "brand_id",
    "is_imported",
    "created_at",
    "final_status",
    "pre_gen_score",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "first_date",
    "last_date",
    "campaign_objective",
)
ELEMENT_COLUMNS = ("ad_id", "brand_id", "element_name", "element_value")
OVERVIEW_COLUMNS = (
    "brand_id",
    "name",
    "organization_id",
    "ads",
    "matured_ads",
    "approved",
    "rejected",
    "open_alerts",
    "winner_rate",
    "last_refresh",
)
REWARD_COLUMNS = (
    "ad_id",
    "brand_id",
    "reward_score",
    "campaign_objective",
    "maturity",
    "impressions_at_maturity",
    "matured_at",
    "computed_at",
)
REWARD_SELECT = ("ad_id:generated_ad_id", *REWARD_COLUMNS[1:])  # PostgREST renames in the select
SCORE_COLUMNS = (
    "brand_id",
    "element_name",
    "element_value",
    "alpha",
    "beta",
    "prior_alpha",
    "prior_beta",
    "prior_source",
    "total_observations",
    "mean_reward",
    "last_updated",
)
SCORE_HISTORY_COLUMNS = (
    "as_of",
    "element_name",
    "element_value",
    "alpha",
    "beta",
    "mean_reward",
    "total_observations",
)
METRIC_HISTORY_COLUMNS = ("as_of", "brand_id", "metric_name", "metric_value", "warning", "critical")
ALERT_COLUMNS = (
    "id",
    "brand_id",
    "alert_type",
    "severity",
    "status",
    "metric_value",
    "threshold_value",
    "message",
    "first_seen_at",
    "last_seen_at",
    "occurrences",
    "acknowledged_by",
    "acknowledged_at",
    "ack_note",
    "resolved_by",
    "resolved_at",
    "resolution_note",
)
JOB_RUN_COLUMNS = ("id", "job_type", "brand_id", "started_at", "finished_at", "status", "summary", "error")
UNRESOLVED = ("open", "acknowledged")

# jsonb payload columns, in the order migrations/0002_functions.sql documents them
BRAND_PAYLOAD = ("id", "name", "organization_id", "cross_brand_sharing", "created_at")
AD_PAYLOAD = (
    "ad_id",
    "brand_id",
    "element_tags",
    "pre_gen_score",
    "final_status",
    "is_imported",
    "created_at",
)
PERFORMANCE_PAYLOAD = (
    "ad_id",
    "date",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "campaign_objective",
)
REWARD_PAYLOAD = (
    "ad_id",
    "brand_id",
    "reward_score",
    "ctr",
    "conversion_rate",
    "roas",
    "ctr_score",
    "conversion_score",
    "roas_score",
    "ctr_weight",
    "conversion_weight",
    "roas_weight",
    "campaign_objective",
    "maturity",
    "impressions_at_maturity",
    "matured_at",
)
SCORE_PAYLOAD = SCORE_COLUMNS[:-1]  # last_updated is the server's to set
METRIC_PAYLOAD = ("brand_id", "metric_name", "metric_value", "warning", "critical")
ACTION_PAYLOAD = (
    "action",
    "alert_id",
    "brand_id",
    "alert_type",
    "severity",
    "metric_value",
    "threshold_value",
    "message",
)
DATE_FIELDS = frozenset({"date", "matured_at", "as_of", "first_date", "last_date"})  # sent as 'YYYY-MM-DD'


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


def wire_request(request: PagedRead | RpcCall, page: int = 0) -> WireRequest:
    """The exact request for one page of a read, or for a call (what supabase-py puts on the wire)."""
    if isinstance(request, RpcCall):
        return WireRequest("POST", f"/rpc/{request.function}", (), encode_json(dict(request.args)))
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
    return PagedRead("brands", order=("id",), columns=BRAND_COLUMNS)


def ad_aggregates_read(brand_ids: Sequence[str] | None, as_of: date | None) -> PagedRead:
    """Per-ad aggregates, computed in SQL from the daily rows up to `as_of`."""
    args = {"p_brand_ids": _text_array(brand_ids), "p_as_of": as_of.isoformat() if as_of else None}
    return PagedRead("genome_ad_aggregates", order=("ad_id",), function_args=args)


def ad_elements_read(brand_ids: Sequence[str] | None, elements: Sequence[str] | None) -> PagedRead:
    """One row per (ad, tracked element), exploded from element_tags in SQL."""
    args = {"p_brand_ids": _text_array(brand_ids), "p_elements": _text_array(elements)}
    return PagedRead("genome_ad_elements", order=("ad_id", "element_name"), function_args=args)


def brand_overview_read(winner_threshold: float) -> PagedRead:
    args = {"p_winner_threshold": float(winner_threshold)}
    return PagedRead("genome_brand_overview", order=("brand_id",), function_args=args)


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
        columns=SCORE_COLUMNS,
        filters=_brand_filter(brand_ids),
    )


def score_history_read(brand_id: str) -> PagedRead:
    return PagedRead(
        "creative_element_score_history",
        order=("as_of", "element_name", "element_value"),
        columns=SCORE_HISTORY_COLUMNS,
        filters=(Filter("brand_id", "eq", brand_id),),
    )


def alerts_read(status: str | None, brand_ids: Sequence[str] | None) -> PagedRead:
    """Alerts by status ('unresolved' = open or acknowledged) and brands; newest id last."""
    filters = _brand_filter(brand_ids)
    if status == "unresolved":
        filters += (Filter("status", "in", UNRESOLVED),)
    elif status is not None:
        filters += (Filter("status", "eq", status),)
    return PagedRead("system_alerts", order=("id",), columns=ALERT_COLUMNS, filters=filters)


def metric_history_read(brand_id: str | None) -> PagedRead:
    return PagedRead(
        "health_metric_history",
        order=("as_of", "brand_id", "metric_name"),
        columns=METRIC_HISTORY_COLUMNS,
        filters=() if brand_id is None else (Filter("brand_id", "eq", brand_id),),
    )


def job_runs_read(limit: int) -> PagedRead:
    """The latest `limit` job runs, newest first."""
    return PagedRead("genome_job_runs", order=("id",), columns=JOB_RUN_COLUMNS, descending=True, limit=limit)


def known_ad_ids_reads(ad_ids: Iterable[str]) -> tuple[PagedRead, ...]:
    """Existence checks for ad ids, `IDS_PER_FILTER` ids per request (the ids travel in the URL)."""
    unique = sorted(set(ad_ids))
    return tuple(
        PagedRead(
            "generated_ads",
            order=("id",),
            columns=("id",),
            filters=(Filter("id", "in", tuple(unique[i : i + IDS_PER_FILTER])),),
        )
        for i in range(0, len(unique), IDS_PER_FILTER)
    )


# --- writes: one call per job ---------------------------------------------------------------------


def save_brands_call(brands: pd.DataFrame) -> RpcCall:
    return RpcCall("genome_save_brands", {"p_brands": json_records(brands, BRAND_PAYLOAD)})


def import_ads_call(ads: pd.DataFrame, started_at: datetime) -> RpcCall:
    args = {"p_ads": json_records(ads, AD_PAYLOAD), "p_started_at": _timestamp(started_at)}
    return RpcCall("genome_import_ads", args)


def import_performance_call(rows: pd.DataFrame, started_at: datetime) -> RpcCall:
    args = {"p_rows": json_records(rows, PERFORMANCE_PAYLOAD), "p_started_at": _timestamp(started_at)}
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
        "p_rewards": json_records(rewards, REWARD_PAYLOAD),
        "p_scores": json_records(scores, SCORE_PAYLOAD),
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
        "p_metrics": json_records(metrics, METRIC_PAYLOAD),
        "p_actions": json_records(actions, ACTION_PAYLOAD),
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
    job_type: str, brand_ids: Sequence[str] | None, started_at: datetime, error: str
) -> RpcCall:
    """The failed-job record written after a job's own transaction did not commit."""
    args = {
        "p_job_type": job_type,
        "p_brand_ids": _text_array(brand_ids),
        "p_status": "failed",
        "p_started_at": _timestamp(started_at),
        "p_summary": {},
        "p_error": error,
    }
    return RpcCall("genome_record_job", args)


# --- JSON payloads ---------------------------------------------------------------------------------


def json_records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: NaN/NaT/±inf -> None, numpy scalars -> Python, dates 'YYYY-MM-DD',
    timestamps ISO 8601 in UTC. Columns absent from `frame` are left out (the SQL default applies).

    Converted column by column (vectorised); floats keep their exact value.
    """
    present = [c for c in columns if c in frame.columns]
    converted = {c: _json_column(frame[c], as_date=c in DATE_FIELDS) for c in present}
    table = pd.DataFrame(converted, index=frame.index, columns=present, dtype=object)
    return table.to_dict("records")


def _json_column(column: pd.Series, as_date: bool) -> pd.Series:
    missing = column.isna().to_numpy(copy=True)
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(column.dtype):
        column = column.dt.strftime("%Y-%m-%d" if as_date else "%Y-%m-%dT%H:%M:%S.%fZ")
    elif pd.api.types.is_float_dtype(column.dtype):
        missing |= ~np.isfinite(column.to_numpy(dtype=float, na_value=np.nan))
    values = column.astype(object).to_numpy(copy=True)  # numpy scalars become Python ones
    values[missing] = None
    return pd.Series(values, index=column.index, dtype=object)


def _scalar(value: object) -> object:
    """A numpy or datetime scalar inside an object column, as its JSON-ready Python value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_safe(value: object) -> object:
    """A small nested summary (dicts, lists, scalars) as JSON-ready Python values."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [json_safe(v) for v in value]
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return _scalar(value)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive datetime is taken to be UTC already."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text_array(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]
