"""What the Supabase backend asks the REST API, built without any I/O.

Like postgrest's `pre_select`, every function here returns plain frozen data: a `reads.Read` (a table
or a set-returning SQL function, read 1,000 rows at a time in its key order), a `KeysetRead` (a
set-returning SQL function that computes one page, the rows after the last key read) or an `RpcCall`
(one SQL function call; a write's jsonb arguments carry a whole job).
`genome.store.supabase` stays the one thin place that talks to the server; support/wire.py renders
each request as supabase-py sends it, so the request shapes are tested without a network.

Paging assumes the project's PostgREST `max-rows` is at least `PAGE_SIZE` (Supabase's default is
exactly 1,000): a read stops at the first short page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.store import frames, payloads
from genome.store.common import JobRun
from genome.store.reads import Read
from genome.vocabulary import ALERT_ACTION_COLUMNS, HEALTH_METRIC_COLUMNS, JobType

#: the arguments of the SQL functions that take jsonb (the others: text, text[], numbers, dates)
JSONB_ARGS = frozenset(
    {"p_brands", "p_ads", "p_rows", "p_rewards", "p_scores", "p_metrics", "p_actions", "p_summary"}
)
PAGE_SIZE = 1000  # rows per page: Supabase's default max-rows, which silently caps every response
# ids per genome_known_ad_ids call: it answers one row per known id, so the answer never reaches the
# max-rows cap (and the body stays a few tens of KB)
IDS_PER_CALL = PAGE_SIZE


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


# --- paging -----------------------------------------------------------------------


def page_range(read: Read, page: int) -> tuple[int, int]:
    """Inclusive (start, end) row indexes of page `page`, as `.range(start, end)` takes them."""
    start = page * PAGE_SIZE
    end = start + PAGE_SIZE - 1
    if read.limit is not None:
        end = min(end, read.limit - 1)
    return start, end


def is_last_page(read: Read, page: int, rows_received: int, rows_so_far: int) -> bool:
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


def select_list(read: Read) -> str:
    """A table read's columns as PostgREST selects them, renamed (`alias:column`) where the table's differ."""
    return ",".join(f"{name}:{read.sources[name]}" if name in read.sources else name for name in read.spec)


# --- reads ----------------------------------------------------------------------------------------


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


def brand_overview_read(winner_threshold: float) -> Read:
    args = {"p_winner_threshold": float(winner_threshold)}
    return Read("genome_brand_overview", frames.BRAND_OVERVIEW, ("brand_id",), function_args=args)


def brand_stats_call(brand_id: str, since: date, until: date) -> RpcCall:
    """One brand's counts (functions/genome_brand_stats.sql): a JSON object, or null for no brand."""
    return RpcCall(
        "genome_brand_stats",
        {"p_brand_id": brand_id, "p_since": since.isoformat(), "p_until": until.isoformat()},
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


def apply_refresh_call(run: JobRun, outputs: RefreshOutputs) -> RpcCall:
    """The whole refresh write: rewards and complete scores of the run's brands, as one transaction."""
    rewards = payloads.to_records(outputs.rewards, payloads.REWARD_PAYLOAD)
    scores = payloads.to_records(outputs.scores, payloads.SCORE_PAYLOAD)
    return _apply_call("genome_apply_refresh", run, outputs.summary, p_rewards=rewards, p_scores=scores)


def apply_validation_call(run: JobRun, outputs: ValidateOutputs) -> RpcCall:
    """The whole validation write: metric history and alert actions, as one transaction."""
    metrics = payloads.to_records(outputs.metrics, HEALTH_METRIC_COLUMNS)
    actions = payloads.to_records(outputs.actions, ALERT_ACTION_COLUMNS)
    return _apply_call("genome_apply_validation", run, outputs.summary, p_metrics=metrics, p_actions=actions)


def _apply_call(function: str, run: JobRun, summary: Mapping[str, object], **payload: object) -> RpcCall:
    assert run.as_of is not None
    args = {"p_brand_ids": list(run.brand_ids), "p_as_of": run.as_of.isoformat(), **payload}
    return RpcCall(
        function, {**args, "p_summary": json_safe(summary), "p_started_at": _timestamp(run.started)}
    )


def set_alert_status_call(alert_id: int, status: str, by: str, note: str, at: datetime) -> RpcCall:
    args = {
        "p_alert_id": int(alert_id),
        "p_status": status,
        "p_by": by,
        "p_note": note,
        "p_at": _timestamp(at),
    }
    return RpcCall("genome_set_alert_status", args)


def job_run_call(
    job_type: JobType,
    brand_ids: Sequence[str],
    started_at: datetime,
    summary: Mapping[str, object],
    error: str | None,
) -> RpcCall:
    """The record of a run: one that wrote nothing else (a skipped refresh, a daily run, a notification
    batch), or a failed one after its own transaction did not commit (with `error`)."""
    args = {
        "p_job_type": job_type,
        "p_brand_ids": _text_array(brand_ids),
        "p_status": "failed" if error else "succeeded",
        "p_started_at": _timestamp(started_at),
        "p_summary": json_safe(summary),
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
    return payloads.json_value(value)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z (a naive datetime is UTC already), as every backend stores it."""
    return payloads.timestamp_text(moment)


def _text_array(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]
