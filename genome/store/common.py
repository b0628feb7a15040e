"""What the SQL backends share: the job flow (one transaction, failed runs recorded) and small rules."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, suppress
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Generic, TypeVar

from genome.errors import GenomeError, NotFound
from genome.store.base import ALERT_STATUSES
from genome.store.payloads import json_default

Connection = TypeVar("Connection")
JobBody = Callable[[Any, tuple[str, ...], datetime], dict]
MAX_ERROR_LENGTH = 2000
UNRESOLVED = ("open", "acknowledged")
#: succeeded jobs that write what a refresh reads (ads, daily rows, brands, stored scores); a refresh
#: is skipped only when the newest of them is a refresh of the same inputs (see refresh_fingerprint)
WRITE_JOBS = ("import_ads", "import_performance", "refresh", "demo")
#: settings that only say where the data lives: not refresh inputs
_LOCATION_SETTINGS = frozenset(
    {"database_url", "supabase_url", "supabase_secret_key", "db_timeout_seconds", "job_wait_seconds"}
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
        return UNRESOLVED
    if status not in ALERT_STATUSES:
        raise GenomeError(f"status must be one of {', '.join(ALERT_STATUSES)} or unresolved, got {status!r}")
    return (status,)


def new_alert_status(status: str) -> str:
    if status not in ("acknowledged", "resolved"):
        raise GenomeError(f"an alert can be set to acknowledged or resolved, not {status!r}")
    return status


def failure_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def job_context(brand_ids: Sequence[str], as_of: date | None) -> dict:
    context: dict[str, Any] = {"brand_ids": list(brand_ids)}
    if as_of is not None:
        context["as_of"] = as_of.isoformat()
    return context


def refresh_fingerprint(
    store_settings: object, compute: Callable, brand_ids: Sequence[str], as_of: date, brands: Any
) -> str | None:
    """A digest of what a refresh reads besides the data written by jobs: as_of, the brand set, the
    brands table (saved outside jobs), the store's settings and those bound to `compute`.

    None (never skip) unless `compute` is a `functools.partial` with a `settings` keyword (what the
    service passes), since any other callable may compute differently for the same inputs.
    """
    bound = compute.keywords.get("settings") if isinstance(compute, partial) else None
    if bound is None or not dataclasses.is_dataclass(bound) or not dataclasses.is_dataclass(store_settings):
        return None
    parts = {
        "compute": f"{getattr(compute.func, '__module__', '')}.{getattr(compute.func, '__qualname__', '')}",
        "as_of": as_of.isoformat(),
        "brand_ids": list(brand_ids),
        "brands": brands.astype(str).to_numpy().tolist(),
        "settings": [_settings_fields(store_settings), _settings_fields(bound)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _settings_fields(settings: Any) -> dict:
    return {
        item.name: getattr(settings, item.name)
        for item in dataclasses.fields(settings)
        if item.name not in _LOCATION_SETTINGS
    }


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


class JobRunner(Generic[Connection]):
    """The job flow both SQL backends follow.

    `_transaction()` yields a connection inside one write transaction (serialised against other jobs)
    and turns driver errors into StoreError; `_record_failed_job` writes a 'failed' run afterwards.
    """

    def _transaction(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _brand_ids(self, connection: Connection) -> list[str]:
        raise NotImplementedError

    def _record_failed_job(
        self, job_type: str, brand_ids: Sequence[str], started: datetime, summary: dict, error: str
    ) -> None:
        raise NotImplementedError

    def _run_job(
        self,
        job_type: str,
        requested: Sequence[str] | None,
        as_of: date | None,
        body: JobBody,
        scoped: bool = True,
    ) -> dict:
        """Run `body(connection, brand_ids, started)` in one transaction; on failure roll back, record
        a failed run and re-raise. An unknown brand raises NotFound before the job starts."""
        started = utc_now()
        brand_ids: tuple[str, ...] = tuple(requested or ())
        try:
            with self._transaction() as connection:
                if scoped:
                    brand_ids = resolve_brand_ids(requested, self._brand_ids(connection))
                return body(connection, brand_ids, started)
        except NotFound:
            raise
        except Exception as error:
            self._record_failure(job_type, brand_ids, as_of, started, error)
            raise

    def _record_failure(
        self, job_type: str, brand_ids: Sequence[str], as_of: date | None, started: datetime, error: Exception
    ) -> None:
        try:
            self._record_failed_job(
                job_type, brand_ids, started, job_context(brand_ids, as_of), failure_text(error)
            )
        except Exception as record_error:  # the job's own error is the one to raise
            error.add_note(f"(recording the failed job run also failed: {failure_text(record_error)})")


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
