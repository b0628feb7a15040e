"""What the backends share: the one job flow (`JobFlow`: record, skip, failure) and small rules."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, suppress
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import pandas as pd

from genome.errors import GenomeError, NotFound
from genome.jobs import RefreshInputs, RefreshOutputs, ValidateInputs, ValidateOutputs
from genome.settings import Settings
from genome.store.payloads import json_default
from genome.vocabulary import (
    ALERT_STATUSES,
    SETTABLE_ALERT_STATUSES,
    UNRESOLVED_ALERT_STATUSES,
    AlertStatus,
    JobType,
)

Connection = TypeVar("Connection")
MAX_ERROR_LENGTH = 2000
#: a refresh summary's id of the newest write job when it checked (see `unchanged_refresh`)
LAST_WRITE_KEY = "last_write_job_id"
#: settings that only say where the data lives or where news goes: not refresh inputs
_LOCATION_SETTINGS = frozenset(
    {
        "database_url",
        "supabase_url",
        "supabase_secret_key",
        "db_timeout_seconds",
        "job_wait_seconds",
        "alert_webhook_url",
        "daily_expected_hours",
    }
)
# How long one statement of a job may run on a remote server: a job's one write call grows with the
# data (about 9 s at 1M daily rows on Postgres), and giving up early would report a failure for a
# job that then commits.
JOB_STATEMENT_SECONDS = 120.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def dumps(value: object) -> str:
    """JSON text for a summary or payload (numpy scalars and dates allowed, NaN refused)."""
    return json.dumps(value, allow_nan=False, default=json_default)


def resolve_brand_ids(requested: Sequence[str] | None, known: Iterable[str]) -> tuple[str, ...]:
    """The brands a job covers: every known brand for None, else `requested` (NotFound if unknown)."""
    known = set(known)
    if requested is None:
        return tuple(sorted(known))
    wanted = tuple(dict.fromkeys(requested))
    unknown = [brand for brand in wanted if brand not in known]
    if unknown:
        raise NotFound(f"no brand {', '.join(map(repr, unknown))} in this workspace")
    return wanted


def alert_statuses(status: str | None) -> tuple[str, ...]:
    """The stored statuses a filter selects: None = all, 'unresolved' = open or acknowledged."""
    if status is None:
        return ALERT_STATUSES
    if status == "unresolved":
        return UNRESOLVED_ALERT_STATUSES
    if status not in ALERT_STATUSES:
        raise GenomeError(f"status must be one of {', '.join(ALERT_STATUSES)} or unresolved, got {status!r}")
    return (status,)


def new_alert_status(status: str) -> AlertStatus:
    if status not in SETTABLE_ALERT_STATUSES:
        raise GenomeError(f"an alert can be set to acknowledged or resolved, not {status!r}")
    return status  # type: ignore[return-value]


def failure_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def job_context(brand_ids: Sequence[str], as_of: date | None) -> dict:
    context: dict[str, Any] = {"brand_ids": list(brand_ids)}
    if as_of is not None:
        context["as_of"] = as_of.isoformat()
    return context


def refresh_fingerprint(
    store_settings: Settings, settings: Settings, compute: Callable, run: JobRun, brands: pd.DataFrame
) -> str:
    """A digest of what a refresh reads besides the data written by jobs: as_of, the brand set, the
    brands table (saved outside jobs), the store's settings and the `settings` `compute` runs with."""
    function = getattr(compute, "func", compute)  # a functools.partial names the function it binds
    parts = {
        "compute": f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}",
        "as_of": run.as_of.isoformat() if run.as_of else None,
        "brand_ids": list(run.brand_ids),
        "brands": brands.astype(str).to_numpy().tolist(),
        "settings": [_settings_fields(store_settings), _settings_fields(settings)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _settings_fields(settings: Settings) -> dict:
    return {
        item.name: getattr(settings, item.name)
        for item in dataclasses.fields(settings)
        if item.name not in _LOCATION_SETTINGS
    }


def unchanged_refresh(newest_writes: Sequence[Mapping[str, Any]], fingerprint: str | None) -> dict | None:
    """The last refresh's summary when nothing a refresh of `fingerprint` reads was written since,
    else None (recompute).

    `newest_writes` are the two newest succeeded write jobs (id, job_type, summary), newest first.
    The newest must be a refresh of `fingerprint` that saw the write before it as the newest when it
    checked (`LAST_WRITE_KEY`): otherwise a write committed while it read (possible over REST, where
    a job's reads are not one transaction), and its results may miss it.
    """
    if fingerprint is None or not newest_writes:
        return None
    newest, summary = newest_writes[0], newest_writes[0].get("summary")
    write_before = newest_writes[1]["id"] if len(newest_writes) > 1 else None
    unchanged = (
        newest.get("job_type") == "refresh"
        and isinstance(summary, Mapping)
        and summary.get("fingerprint") == fingerprint
        and LAST_WRITE_KEY in summary
        and summary[LAST_WRITE_KEY] == write_before
    )
    return dict(summary) if unchanged else None


def refresh_marks(fingerprint: str | None, newest_writes: Sequence[Mapping[str, Any]]) -> dict:
    """What a refresh adds to its summary so that a later one may skip: its fingerprint and the id of
    the newest write job when it checked (None: none). Nothing without a fingerprint."""
    if fingerprint is None:
        return {}
    return {"fingerprint": fingerprint, LAST_WRITE_KEY: newest_writes[0]["id"] if newest_writes else None}


def seconds_since(started: datetime) -> float:
    """A job's duration so far, as its summary records it."""
    return round((utc_now() - started).total_seconds(), 3)


def skipped_refresh_summary(previous: dict, started: datetime) -> dict:
    """The summary of a refresh started at `started` and skipped because nothing it reads changed
    since `previous` (the last refresh's summary): its results, every stored reward unchanged."""
    kept = sum(int(previous.get(key, 0)) for key in ("rewards_new", "rewards_updated", "rewards_unchanged"))
    summary = {key: value for key, value in previous.items() if key != "job_id"}
    summary.update(
        skipped=True,
        rewards_new=0,
        rewards_updated=0,
        rewards_unchanged=kept,
        rewards_removed=0,
        elements_updated=0,
        duration_seconds=seconds_since(started),
    )
    return summary


@dataclasses.dataclass(frozen=True)
class JobRun:
    """One run of a job as the flow knows it: what the backends' primitives are told."""

    job_type: JobType
    started: datetime
    brand_ids: tuple[str, ...] = ()  # the brands it covers (none for an import)
    as_of: date | None = None
    every_brand: bool = False  # the caller asked for every brand (brand_ids are all of them)


JobBody = Callable[[Any, JobRun, "pd.DataFrame | None"], dict]


class JobFlow(Generic[Connection]):
    """The one job flow of every backend: record a run, skip an unchanged refresh, record a failure.

    A backend supplies the primitives below: the job's scope (`_job_scope`: one write transaction
    serialised against other jobs on the SQL backends; nothing over REST), the reads of a job's
    inputs (`reads.TableReads` defines those of tables), the writes of its outputs (each records the
    succeeded run and returns its summary with job_id), and the record of a run.
    """

    settings: Settings

    # --- the primitives a backend supplies -------------------------------------------------------
    def _job_scope(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read_brands(self, connection: Connection) -> pd.DataFrame:
        raise NotImplementedError

    def _read_newest_writes(self, connection: Connection) -> list[dict]:
        """The two newest succeeded jobs of WRITE_JOB_TYPES (id, job_type, summary), newest first."""
        raise NotImplementedError

    def _read_ad_aggregates(
        self, connection: Connection, brand_ids: Sequence[str] | None, as_of: date | None
    ) -> pd.DataFrame:
        raise NotImplementedError

    def _read_ad_elements(
        self, connection: Connection, brand_ids: Sequence[str] | None, elements: Sequence[str] | None
    ) -> pd.DataFrame:
        raise NotImplementedError

    def _read_scores(self, connection: Connection) -> pd.DataFrame:
        raise NotImplementedError

    def _read_unresolved_alerts(self, connection: Connection, run: JobRun) -> pd.DataFrame:
        raise NotImplementedError

    def _write_import(self, connection: Connection, run: JobRun, rows: pd.DataFrame) -> dict:
        raise NotImplementedError

    def _write_refresh(self, connection: Connection, run: JobRun, outputs: RefreshOutputs) -> dict:
        raise NotImplementedError

    def _write_validation(self, connection: Connection, run: JobRun, outputs: ValidateOutputs) -> dict:
        raise NotImplementedError

    def _record_job_run(
        self, connection: Connection, run: JobRun, summary: dict, error: str | None = None
    ) -> int:
        """Record a run of `run.job_type` with `summary`, succeeded or (with `error`) failed; its id."""
        raise NotImplementedError

    def _record_failed_job(self, run: JobRun, error: str) -> None:
        """After the job's scope rolled back: a failed run in a scope of its own."""
        with self._job_scope() as connection:
            self._record_job_run(connection, run, job_context(run.brand_ids, run.as_of), error)

    def _failure_is_recordable(self, error: Exception) -> bool:
        """False when recording would fail the way the job did (e.g. waiting for the same lock)."""
        return True

    # --- a job's inputs, read on their own ---------------------------------------------------------
    def ad_aggregates(self, brand_ids: Sequence[str] | None, as_of: date) -> pd.DataFrame:
        return self._read_ad_aggregates(None, brand_ids, as_of)

    def ad_elements(
        self, brand_ids: Sequence[str] | None, elements: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One row per (ad, element) of `elements` (None = every element)."""
        return self._read_ad_elements(None, brand_ids, elements)

    # --- the jobs ----------------------------------------------------------------------------------
    def import_ads(self, ads: pd.DataFrame) -> dict:
        return self._import("import_ads", ads)

    def import_performance(self, rows: pd.DataFrame) -> dict:
        return self._import("import_performance", rows)

    def _import(self, job_type: JobType, rows: pd.DataFrame) -> dict:
        return self._run_job(job_type, None, None, lambda c, run, _: self._write_import(c, run, rows))

    def refresh(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        compute: Callable[..., RefreshOutputs],
        settings: Settings | None = None,
    ) -> dict:
        return self._run_job("refresh", brand_ids, as_of, self._refresh_body(as_of, compute, settings))

    def _refresh_body(
        self, as_of: date, compute: Callable[..., RefreshOutputs], settings: Settings | None
    ) -> JobBody:
        def body(connection: Connection, run: JobRun, brands: pd.DataFrame | None) -> dict:
            assert brands is not None
            fingerprint = (
                None
                if settings is None
                else refresh_fingerprint(self.settings, settings, compute, run, brands)
            )
            newest_writes = [] if fingerprint is None else self._read_newest_writes(connection)
            marks = refresh_marks(fingerprint, newest_writes)
            previous = unchanged_refresh(newest_writes, fingerprint)
            if previous is not None:
                summary = {**skipped_refresh_summary(previous, run.started), **marks}
                return {**summary, "job_id": self._record_job_run(connection, run, summary)}
            inputs = RefreshInputs(
                as_of=as_of,
                brand_ids=run.brand_ids,
                ads=self._read_ad_aggregates(connection, run.brand_ids, as_of),
                elements=self._read_ad_elements(connection, run.brand_ids, self.settings.tracked_elements),
                brands=brands,
                scores=self._read_scores(connection),
            )
            outputs = _call(compute, inputs, settings)
            outputs = dataclasses.replace(outputs, summary={**outputs.summary, **marks})
            return self._write_refresh(connection, run, outputs)

        return body

    def validate(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        compute: Callable[..., ValidateOutputs],
        settings: Settings | None = None,
    ) -> dict:
        return self._run_job("validate", brand_ids, as_of, self._validate_body(as_of, compute, settings))

    def _validate_body(
        self, as_of: date, compute: Callable[..., ValidateOutputs], settings: Settings | None
    ) -> JobBody:
        def body(connection: Connection, run: JobRun, _brands: pd.DataFrame | None) -> dict:
            alerts = self._read_unresolved_alerts(connection, run)
            inputs = ValidateInputs(
                as_of=as_of,
                brand_ids=run.brand_ids,
                ads=self._read_ad_aggregates(connection, run.brand_ids, as_of),
                alerts=alerts,
            )
            return self._write_validation(connection, run, _call(compute, inputs, settings))

        return body

    def daily(
        self,
        brand_ids: Sequence[str] | None,
        as_of: date,
        refresh: Callable[..., RefreshOutputs],
        validate: Callable[..., ValidateOutputs],
        settings: Settings | None = None,
    ) -> dict:
        refresh_body = self._refresh_body(as_of, refresh, settings)
        validate_body = self._validate_body(as_of, validate, settings)

        def body(connection: Connection, run: JobRun, brands: pd.DataFrame | None) -> dict:
            summary = {
                "refresh": refresh_body(connection, dataclasses.replace(run, job_type="refresh"), brands),
                "validation": validate_body(
                    connection, dataclasses.replace(run, job_type="validate"), brands
                ),
            }
            return {**summary, "job_id": self._record_job_run(connection, run, summary)}

        return self._run_job("daily", brand_ids, as_of, body)

    def record_job(
        self, job_type: JobType, brand_ids: Sequence[str], summary: dict, error: str | None = None
    ) -> int:
        run = JobRun(job_type, utc_now(), tuple(brand_ids))
        with self._job_scope() as connection:
            return self._record_job_run(connection, run, summary, error)

    # --- the flow ----------------------------------------------------------------------------------
    def _run_job(
        self, job_type: JobType, requested: Sequence[str] | None, as_of: date | None, body: JobBody
    ) -> dict:
        """Run `body(connection, run, brands)` in the job's scope; on failure roll back, record a
        failed run and re-raise. A job with an as_of covers brands: they are read and resolved first
        (an unknown one raises NotFound, which is not recorded: the job never started)."""
        run = JobRun(job_type, utc_now(), tuple(requested or ()), as_of, every_brand=requested is None)
        try:
            with self._job_scope() as connection:
                brands = None
                if as_of is not None:
                    brands = self._read_brands(connection)
                    run = dataclasses.replace(run, brand_ids=resolve_brand_ids(requested, brands["id"]))
                summary = body(connection, run, brands)
        except NotFound:
            raise
        except Exception as error:
            self._record_failure(run, error)
            raise
        return {"duration_seconds": seconds_since(run.started), **summary}

    def _record_failure(self, run: JobRun, error: Exception) -> None:
        if not self._failure_is_recordable(error):
            return
        try:
            self._record_failed_job(run, failure_text(error))
        except Exception as record_error:  # the job's own error is the one to raise
            error.add_note(f"(recording the failed job run also failed: {failure_text(record_error)})")


def _call(compute: Callable, inputs: object, settings: Settings | None) -> Any:
    """`compute(inputs, settings)`, or `compute(inputs)` when no settings are given."""
    return compute(inputs) if settings is None else compute(inputs, settings)


class ThreadConnections(Generic[Connection]):
    """One connection per thread (sqlite3 and psycopg connections are not for sharing mid-transaction).

    Streamlit runs each script run in a new thread, so a thread that has ended gets its connection
    closed the next time any thread opens one; `close_all` closes every one.
    """

    def __init__(
        self, open_connection: Callable[[], Connection], usable: Callable[[Connection], bool]
    ) -> None:
        self._open_connection = open_connection
        self._usable = usable
        self._local = threading.local()
        self._owners: dict[threading.Thread, Connection] = {}
        self._lock = threading.Lock()

    def get(self) -> Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._usable(connection):
            return connection
        connection = self._open_connection()
        current = threading.current_thread()
        with self._lock:
            ended = [thread for thread in self._owners if not thread.is_alive() or thread is current]
            for thread in ended:
                _close_quietly(self._owners.pop(thread))
            self._owners[current] = connection
        self._local.connection = connection
        return connection

    def close_all(self) -> None:
        with self._lock:
            for connection in self._owners.values():
                _close_quietly(connection)
            self._owners.clear()
            self._local = threading.local()


def _close_quietly(connection: Any) -> None:
    with suppress(Exception):  # best effort: the connection may already be gone
        connection.close()
