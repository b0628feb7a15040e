"""The Supabase backend: the Store protocol over Supabase's REST API with supabase-py.

For deployments that hold only the project URL and a secret key (`sb_secret_…`). Reads page through
tables and set-returning SQL functions 1,000 rows at a time; the per-ad aggregates and elements are
read with keyset-paged functions (genome_ad_aggregates, genome_ad_element_groups), so each page
costs the server one page of work. Every job writes with one `.rpc()` call to a function of
genome/migrations/postgres/functions, which applies the whole job in one transaction. What to ask is built
in `supabase_requests` (pure); `_send` is the one place that does I/O.

Consistency: a job's reads are separate HTTP requests, so they are not one snapshot; its write is
one transaction under the migrations' advisory lock. A refresh therefore commits results computed
from the data as it was read, and running it again converges (jobs are idempotent). A refresh of
the same inputs as the last one, with no write job since, is skipped as on the SQL backends (the one
flow, `common.JobFlow`): one read of the newest write jobs and one record instead of the reads and
the apply (see `_read_newest_writes` for the race this accepts).

Limits: a job's payload is never split, because splitting would give up all-or-nothing; it grows with
the job (an import file, or the rewards and scores of the refreshed brands: a few hundred bytes per
ad). If a deployment's gateway or statement timeout refuses one that large, refresh brand by brand
(each is its own transaction) and import in smaller files (each file is all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TypeVar

import httpx
import pandas as pd
from postgrest import APIError
from supabase import Client, ClientOptions, SupabaseException, create_client

from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.redaction import redact_url, scrub
from genome.settings import Settings
from genome.store import common, frames
from genome.store import supabase_requests as rq
from genome.store.common import JobRun
from genome.store.reads import Read, TableReads
from genome.vocabulary import BRAND_STAT_NAMES

T = TypeVar("T")
# A job's one call may run long on the server (common.JOB_STATEMENT_SECONDS). Connecting still fails
# after GENOME_DB_TIMEOUT_SECONDS.
JOB_READ_TIMEOUT_SECONDS = common.JOB_STATEMENT_SECONDS
REDACTED = "[secret key]"
MAX_DETAILS_LENGTH = 500  # a proxy's HTML error page is not worth more in a message
SQLSTATE_ERRORS: dict[str, type[GenomeError]] = {
    "P0002": NotFound,  # no such record (e.g. alert id)
    "55000": GenomeError,  # not in a state that allows it (e.g. alert already resolved)
    "22023": GenomeError,  # an argument the function refuses
}


class SupabaseStore(TableReads, common.JobFlow[None]):
    """Store over Supabase REST; `transport` lets tests put a stub under the HTTP client."""

    notices: tuple[str, ...] = ()

    def __init__(
        self, url: str, key: str | None, settings: Settings, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = redact_url(url)
        self._given_url = url  # only to scrub its credentials from messages
        if not key:
            raise StoreError(f"no Supabase secret key for {self.url}: set SUPABASE_SECRET_KEY (sb_secret_…)")
        self._secret = key
        self.settings = settings
        self._timeout = settings.db_timeout_seconds
        reads = httpx.Timeout(self._timeout)
        jobs = httpx.Timeout(self._timeout, read=max(self._timeout, JOB_READ_TIMEOUT_SECONDS))
        self._http = [httpx.Client(transport=transport, timeout=t) for t in (reads, jobs)]
        self._client, self._jobs = (self._connect(url, http) for http in self._http)

    def _connect(self, url: str, http: httpx.Client) -> Client:
        options = ClientOptions(
            httpx_client=http,  # carries the timeouts; supabase-py hands it to PostgREST as is
            postgrest_client_timeout=http.timeout,
            postgrest_client_retry=False,  # fail fast: no backoff loop against an unreachable server
            auto_refresh_token=False,
            persist_session=False,
        )
        try:
            return create_client(url, self._secret, options)
        except SupabaseException as exc:
            raise StoreError(f"cannot use Supabase URL {self.url}: {self._redact(exc.message)}") from None

    def __repr__(self) -> str:
        return f"SupabaseStore({self.url!r})"

    def close(self) -> None:
        for http in self._http:
            http.close()

    # --- the one place that does I/O ------------------------------------------------------------
    def _send(self, run: Callable[[], T], action: str) -> T:
        """Run one request; every failure becomes a domain error without the secret key in it."""
        try:
            return run()
        except APIError as exc:
            raise self._api_error(exc, action) from None
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            raise StoreError(
                f"cannot reach Supabase at {self.url} within {self._timeout:g} s while {action} "
                "(GENOME_DB_TIMEOUT_SECONDS)"
            ) from None
        except httpx.TimeoutException:
            raise StoreError(
                f"Supabase at {self.url} did not answer in time while {action}; a job may still finish "
                "on the server: check the job history or run it again (jobs are idempotent)"
            ) from None
        except httpx.HTTPError as exc:
            reason = self._redact(str(exc)) or type(exc).__name__
            raise StoreError(f"cannot reach Supabase at {self.url} while {action}: {reason}") from None

    def _api_error(self, exc: APIError, action: str) -> GenomeError:
        message = self._redact(exc.message or "request refused")
        details = None if exc.details is None else self._redact(str(exc.details))[:MAX_DETAILS_LENGTH]
        hint = None if exc.hint is None else self._redact(str(exc.hint))
        code = None if exc.code is None else str(exc.code)
        kind = SQLSTATE_ERRORS.get(code or "")
        if kind is not None:
            return kind(message)
        if code == "PGRST202":  # function not found in the schema cache
            hint = hint or "apply the migrations: python -m genome migrate --database <postgres url>"
        return StoreError(f"Supabase refused {action}: {message}", code=code, details=details, hint=hint)

    def _redact(self, text: str) -> str:
        return scrub(text.replace(self._secret, REDACTED), self._given_url)

    def _fetch(self, read: Read) -> list[dict]:
        """Every row of a paged read: one request per page until a short page."""
        rows: list[dict] = []
        page = 0
        while True:
            start, end = rq.page_range(read, page)
            query = self._query(read).range(start, end)
            batch = self._send(query.execute, f"reading {read.source}").data
            rows.extend(batch)
            if rq.is_last_page(read, page, len(batch), len(rows)):
                return rows
            page += 1

    def _fetch_after(self, read: rq.KeysetRead) -> list[dict]:
        """Every row of a keyset read: one request per page, each for the rows after the last one read."""
        rows: list[dict] = []
        while True:
            query = self._client.rpc(read.function, rq.keyset_args(read, rows[-1] if rows else None))
            for column in read.order:
                query = query.order(column)
            batch = self._send(query.execute, f"reading {read.function}").data
            rows.extend(batch)
            if rq.is_last_keyset_page(len(batch)):
                return rows

    def _query(self, read: Read):
        query = (
            self._client.rpc(read.source, dict(read.function_args or {}))
            if read.is_function
            else self._client.table(read.source).select(rq.select_list(read))
        )
        for condition in read.filters:  # supabase-py's eq / gte / in_ builders
            value = condition.value
            if isinstance(value, tuple):
                query = query.in_(condition.column, value)
            else:
                build = query.gte if condition.at_least else query.eq
                query = build(condition.column, value.isoformat() if isinstance(value, date) else value)
        for column in read.order:
            query = query.order(column, desc=read.descending)
        return query

    def _call(self, call: rq.RpcCall, action: str, *, job: bool = True) -> object:
        """One SQL function call: a job (a whole job on the server, in one transaction, given the
        jobs' long read timeout) or a read."""
        client = self._jobs if job else self._client
        return self._send(client.rpc(call.function, dict(call.args)).execute, action).data

    def _select(self, read: Read, _connection: None = None) -> pd.DataFrame:
        """Every page of a read, as its frame."""
        return frames.coerce(self._fetch(read), read.spec)

    # --- brands and imports -----------------------------------------------------------------------
    def save_brands(self, brands: pd.DataFrame) -> dict:
        return dict(self._call(rq.save_brands_call(brands), "saving brands"))

    def known_ad_ids(self, ad_ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for call in rq.known_ad_ids_calls(ad_ids):  # one call per 1,000 ids
            known.update(self._call(call, "looking up ad ids", job=False))
        return known

    # --- the job flow's primitives (common.JobFlow): no transaction spans REST requests ---------
    @contextmanager
    def _job_scope(self) -> Iterator[None]:
        yield None  # each job's write is one call, one transaction on the server

    def _read_ad_aggregates(
        self, _connection: None, brand_ids: Sequence[str] | None, as_of: date | None
    ) -> pd.DataFrame:
        return frames.coerce(self._fetch_after(rq.ad_aggregates_read(brand_ids, as_of)), frames.AD_AGGREGATES)

    def _read_ad_elements(
        self, _connection: None, brand_ids: Sequence[str] | None, elements: Sequence[str] | None
    ) -> pd.DataFrame:
        groups = self._fetch_after(rq.ad_elements_read(brand_ids, elements))
        columns = ("brand_id", "element_name", "element_value", "ad_ids")
        return frames.elements_from_groups([tuple(group[column] for column in columns) for group in groups])

    def _write_import(self, _connection: None, run: JobRun, rows: pd.DataFrame) -> dict:
        build = rq.import_ads_call if run.job_type == "import_ads" else rq.import_performance_call
        return self._job_call(build(rows, run.started), run)

    def _write_refresh(self, _connection: None, run: JobRun, outputs: RefreshOutputs) -> dict:
        return self._job_call(rq.apply_refresh_call(run, outputs), run)

    def _write_validation(self, _connection: None, run: JobRun, outputs: ValidateOutputs) -> dict:
        return self._job_call(rq.apply_validation_call(run, outputs), run)

    def _job_call(self, call: rq.RpcCall, run: JobRun) -> dict:
        result = self._call(call, f"running {run.job_type}")
        return dict(result) if isinstance(result, dict) else {"result": result}

    def _record_job_run(self, _connection: None, run: JobRun, summary: dict, error: str | None = None) -> int:
        call = rq.job_run_call(
            run.job_type, run.brand_ids, run.started, summary, error and self._redact(error)
        )
        return self._call(call, f"recording a {run.job_type} run")  # type: ignore[return-value]

    def _failure_is_recordable(self, error: Exception) -> bool:
        """Not when the server was not reached: recording would wait for the same timeout again."""
        return not (isinstance(error, StoreError) and error.code is None)

    # --- reads ----------------------------------------------------------------------------------------
    def brand_overview(self, winner_threshold: float) -> pd.DataFrame:
        return self._select(rq.brand_overview_read(winner_threshold))

    def brand_stats(self, brand_id: str, approval_window: tuple[date, date]) -> dict[str, int] | None:
        """One request: functions/genome_brand_stats.sql."""
        stats = self._call(rq.brand_stats_call(brand_id, *approval_window), "reading brand counts", job=False)
        if not stats:  # JSON null (no such brand); an empty body would read as []
            return None
        return {name: int(stats[name]) for name in BRAND_STAT_NAMES}

    def set_alert_status(self, alert_id: int, status: str, by: str, note: str, at: datetime) -> dict:
        call = rq.set_alert_status_call(alert_id, common.new_alert_status(status), by, note, at)
        row = self._call(call, f"setting alert {alert_id} to {status}")
        return frames.coerce([row], frames.ALERTS).to_dict("records")[0]
