"""PostgresStore: psycopg 3 against any Postgres (a Supabase connection string included), and `migrate`.

Aggregation and every multi-row write run in the SQL functions of genome/migrations/postgres/functions
(one file each), the same ones the supabase REST backend calls, so there is one write path. A job
holds one transaction and the advisory lock JOB_LOCK from its first read to its commit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from importlib.resources.abc import Traversable
from typing import Any

import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.redaction import redact_url, scrub
from genome.settings import Settings
from genome.store import frames, migrations, payloads, pg_copy, reads
from genome.store import supabase_requests as rq
from genome.store.common import (
    JOB_STATEMENT_SECONDS,
    JobFlow,
    JobRun,
    ThreadConnections,
    dumps,
    job_context,
    new_alert_status,
)
from genome.store.reads import TableReads
from genome.vocabulary import BRAND_STAT_NAMES

JOB_LOCK = 7240311  # the advisory lock key every job function takes (genome/migrations/postgres/functions)
MIGRATION_LOCK = 7240312
MIN_CONNECT_SECONDS = 2  # libpq and psycopg wait at least this long
# Bounds derived from GENOME_DB_TIMEOUT_SECONDS (T): a lock another session holds is waited for T; one
# statement outside a job may run STATEMENT_TIMEOUT_FACTOR × T; a silent peer is given up after
# T idle + KEEPALIVE_PROBES probes T apart. Jobs wait GENOME_JOB_WAIT_SECONDS for the job lock and
# their statements may run JOB_STATEMENT_SECONDS.
STATEMENT_TIMEOUT_FACTOR = 6
KEEPALIVE_PROBES = 3
LOCK_TIMEOUT = "55P03"
STATEMENT_TIMEOUT = "57014"
UNMIGRATED = ("42P01", "42883")  # undefined table, undefined function

# dates and timestamps as text: pandas parses ISO text at C speed, datetime objects one by one
_AGGREGATE_COLUMNS = ", ".join(
    f"{name}::text" if kind in ("date", "datetime") else name for name, kind in frames.AD_AGGREGATES.items()
)


class PostgresStore(TableReads, JobFlow[psycopg.Connection]):
    """A workspace in a Postgres database migrated with `migrate` (python -m genome migrate)."""

    notices: tuple[str, ...] = ()

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self._dsn = url
        self.url = redact_url(url)
        self.settings = settings or Settings()
        self._connections = ThreadConnections(self._open_connection, _usable)
        self._connection()

    def close(self) -> None:
        self._connections.close_all()

    # --- connections and transactions -----------------------------------------------------------
    def _connection(self) -> psycopg.Connection:
        return self._connections.get()

    def _open_connection(self) -> psycopg.Connection:
        with _errors(self._dsn):
            return connect(self._dsn, self.settings.db_timeout_seconds)

    @contextmanager
    def _job_scope(self) -> Iterator[psycopg.Connection]:
        """One job transaction: its statements may run JOB_STATEMENT_SECONDS, and it waits at most
        GENOME_JOB_WAIT_SECONDS for another job to release the job lock."""
        connection = self._connection()
        timeout = self.settings.db_timeout_seconds
        with _errors(self._dsn), connection.transaction():
            statement_seconds = max(JOB_STATEMENT_SECONDS, STATEMENT_TIMEOUT_FACTOR * timeout)
            _wait_for_lock(
                connection, "pg_advisory_xact_lock", JOB_LOCK, self.settings, statement_seconds, local=True
            )
            yield connection

    def _read(
        self, sql: str, params: Any, spec: dict, connection: psycopg.Connection | None = None
    ) -> pd.DataFrame:
        with _errors(self._dsn):
            rows = (connection or self._connection()).execute(sql, params).fetchall()
        return frames.coerce(rows, spec)

    def _select(self, read: reads.Read, connection: psycopg.Connection | None = None) -> pd.DataFrame:
        sql, params = reads.sql(read, "postgres")
        return self._read(sql, params, read.spec, connection)

    def _call(self, connection: psycopg.Connection, sql: str, params: Any) -> Any:
        with _errors(self._dsn):
            return connection.execute(sql, params).fetchone()[0]

    def _rpc(self, call: rq.RpcCall, connection: psycopg.Connection | None = None) -> Any:
        """The SQL function call the supabase backend makes over REST, by argument name."""
        arguments = ", ".join(f"{name} => %s" for name in call.args)
        params = [Jsonb(value) if name in rq.JSONB_ARGS else value for name, value in call.args.items()]
        return self._call(
            connection or self._connection(), f"select public.{call.function}({arguments})", params
        )

    # --- brands and imports -----------------------------------------------------------------------
    def save_brands(self, brands: pd.DataFrame) -> dict:
        return self._rpc(rq.save_brands_call(brands))

    def known_ad_ids(self, ad_ids: Sequence[str]) -> set[str]:
        with _errors(self._dsn):
            rows = self._connection().execute(
                "select id from public.generated_ads where id = any(%s::text[])", (list(ad_ids),)
            )
            return {row[0] for row in rows}

    # --- the job flow's primitives (common.JobFlow) ---------------------------------------------------
    def _write_import(self, connection: psycopg.Connection, run: JobRun, rows: pd.DataFrame) -> dict:
        """The rows stream by COPY into the staging table genome_import_staging makes; the SQL function
        `genome_<job_type>` then writes them all or nothing (the rpc path stages jsonb the same way)."""
        with _errors(self._dsn):
            connection.execute("select public.genome_import_staging(%s)", (run.job_type,))
            with connection.cursor().copy(pg_copy.copy_statement(run.job_type)) as copy:
                for chunk in pg_copy.binary_chunks(rows, run.job_type):
                    copy.write(chunk)
        return self._call(connection, f"select public.genome_{run.job_type}(null, %s)", (run.started,))

    def _write_refresh(self, connection: psycopg.Connection, run: JobRun, outputs: RefreshOutputs) -> dict:
        """The rewards go in by a binary COPY into the temp table genome_apply_refresh reads (no JSON
        to format and parse: that cost most of the refresh); the few scores as JSON."""
        with _errors(self._dsn):
            _stage_rewards(connection, outputs.rewards)
        return self._call(
            connection,
            "select public.genome_apply_refresh(%s::text[], %s::date, null, %s::jsonb, %s::jsonb, %s)",
            (
                list(run.brand_ids),
                run.as_of,
                payloads.to_json_records(outputs.scores, payloads.SCORE_PAYLOAD),
                dumps(outputs.summary),
                run.started,
            ),
        )

    def _write_validation(
        self, connection: psycopg.Connection, run: JobRun, outputs: ValidateOutputs
    ) -> dict:
        return self._rpc(rq.apply_validation_call(run, outputs), connection)

    def _record_job_run(
        self, connection: psycopg.Connection | None, run: JobRun, summary: dict, error: str | None = None
    ) -> int:
        return self._rpc(
            rq.job_run_call(run.job_type, run.brand_ids, run.started, summary, error), connection
        )

    def _record_failed_job(self, run: JobRun, error: str) -> None:
        """On the connection's autocommit, outside the job lock."""
        self._record_job_run(None, run, job_context(run.brand_ids, run.as_of), error)

    # --- reads --------------------------------------------------------------------------------------
    def _read_ad_aggregates(
        self,
        connection: psycopg.Connection | None,
        brand_ids: Sequence[str] | None,
        as_of: date | None,
    ) -> pd.DataFrame:
        sql = f"select {_AGGREGATE_COLUMNS} from public.genome_ad_aggregates(%s::text[], %s::date)"
        return self._read(sql, (_array(brand_ids), as_of), frames.AD_AGGREGATES, connection)

    def _read_ad_elements(
        self,
        connection: psycopg.Connection | None,
        brand_ids: Sequence[str] | None,
        elements: Sequence[str] | None,
    ) -> pd.DataFrame:
        sql = (
            "select brand_id, element_name, element_value, ad_ids::text"
            " from public.genome_ad_element_groups(%s::text[], %s::text[])"
        )
        with _errors(self._dsn):
            groups = (connection or self._connection()).execute(sql, (_array(brand_ids), _array(elements)))
            return frames.elements_from_groups(groups.fetchall())

    def brand_overview(self, winner_threshold: float) -> pd.DataFrame:
        sql = "select * from public.genome_brand_overview(%s::float8)"
        return self._read(sql, (winner_threshold,), frames.BRAND_OVERVIEW)

    def brand_stats(self, brand_id: str, approval_window: tuple[date, date]) -> dict[str, int] | None:
        stats = self._rpc(rq.brand_stats_call(brand_id, *approval_window))
        return None if stats is None else {name: int(stats[name]) for name in BRAND_STAT_NAMES}

    def set_alert_status(self, alert_id: int, status: str, by: str, note: str, at: datetime) -> dict:
        row = self._rpc(rq.set_alert_status_call(alert_id, new_alert_status(status), by, note, at))
        return frames.coerce([row], frames.ALERTS).to_dict("records")[0]


def connect(url: str, timeout_seconds: float, bound_statements: bool = True) -> psycopg.Connection:
    """An autocommit connection bounded by `timeout_seconds` (T): connecting, lock waits (T), a dead
    peer (TCP keepalives and tcp_user_timeout) and, when `bound_statements`, each statement
    (STATEMENT_TIMEOUT_FACTOR × T). No prepared statements, so Supabase's transaction pooler works too;
    a pooler that refuses startup options gets a connection without the lock and statement bounds."""
    seconds = max(MIN_CONNECT_SECONDS, math.ceil(timeout_seconds))
    probe = max(1, math.ceil(timeout_seconds))
    options = f"-c lock_timeout={_ms(timeout_seconds)}"
    if bound_statements:
        options += f" -c statement_timeout={_ms(STATEMENT_TIMEOUT_FACTOR * timeout_seconds)}"
    network = {
        "connect_timeout": seconds,
        "keepalives": 1,
        "keepalives_idle": probe,
        "keepalives_interval": probe,
        "keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": (1 + KEEPALIVE_PROBES) * probe * 1000,
        "autocommit": True,
        "application_name": "creative-genome",
    }
    try:
        try:
            connection = psycopg.connect(url, options=options, **network)
        except psycopg.OperationalError as error:
            if "unsupported startup parameter" not in str(error):
                raise
            connection = psycopg.connect(url, **network)  # a pooler (PgBouncer) that refuses `options`
    except psycopg.OperationalError as error:  # refused, no answer in time, auth: one line, no password
        reason = " ".join(scrub(str(error), url).split()) or type(error).__name__
        where = re.split("[/?]", redact_url(url).partition("://")[2].rpartition("@")[2])[0]
        message = f"cannot connect to Postgres at {where} within {seconds} s: {reason}"
        raise StoreError(
            message, code=error.sqlstate, hint="GENOME_DB_TIMEOUT_SECONDS sets the wait"
        ) from None
    connection.prepare_threshold = None
    return connection


def _stage_rewards(connection: psycopg.Connection, rewards: pd.DataFrame) -> None:
    """`rewards` into the temp table genome_staged_rewards of type genome_reward_row (its columns and
    types come from the database: 0005_reward_rows.sql), by a binary COPY built with numpy (pg_copy)."""
    connection.execute("create temp table genome_staged_rewards of public.genome_reward_row")
    fields = connection.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = 'pg_temp.genome_staged_rewards'::regclass and attnum > 0 order by attnum"
    ).fetchall()
    frame = payloads.with_columns(rewards, [name for name, _ in fields])
    if frame.empty:  # no rewards: the table stays empty (and the function removes the stored ones)
        return
    binary = {"double precision": "float8", "date": "date", "text": "text"}
    rows = pg_copy.encode_rows([pg_copy.field(frame[name], binary[kind]) for name, kind in fields])
    names = ", ".join(name for name, _ in fields)
    with connection.cursor().copy(
        f"copy pg_temp.genome_staged_rewards ({names}) from stdin (format binary)"
    ) as copy:
        copy.write(pg_copy.SIGNATURE + rows + pg_copy.TRAILER)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _wait_for_lock(
    connection: psycopg.Connection,
    function: str,
    key: int,
    settings: Settings,
    statement_seconds: float | None,
    local: bool,
) -> None:
    """Take advisory lock `key` with `function`, waiting GENOME_JOB_WAIT_SECONDS for the job (or
    migration) that holds it; then statements may run `statement_seconds` (None: unbounded) and lock
    waits are GENOME_DB_TIMEOUT_SECONDS again. `local`: the settings end with the transaction."""
    set_bounds = (
        "select set_config('lock_timeout', %s::text, %s), set_config('statement_timeout', %s::text, %s)"
    )
    wait = _ms(settings.job_wait_seconds)
    connection.execute(set_bounds, (wait, local, 0, local))  # the lock wait is bounded by lock_timeout
    try:
        connection.execute(f"select {function}(%s)", (key,))
    except psycopg.errors.LockNotAvailable:
        raise StoreError(
            f"Postgres: another job (a refresh, validation, import or migration) has held the workspace for"
            f" more than {settings.job_wait_seconds:g} s (GENOME_JOB_WAIT_SECONDS): try again when it"
            " finishes; if none is running, look for a stuck session in pg_stat_activity",
            code=LOCK_TIMEOUT,
        ) from None
    statement = 0 if statement_seconds is None else _ms(statement_seconds)
    connection.execute(set_bounds, (_ms(settings.db_timeout_seconds), local, statement, local))


def migrate(url: str, directory: Traversable | None = None, settings: Settings | None = None) -> list[str]:
    """Apply genome/migrations/postgres (or `directory`): the numbered files not yet recorded in
    schema_migrations, in order, then every function file that is new or whose checksum changed; each
    file in its own transaction, under the migration lock. Returns the files applied (empty when up to
    date). A recorded numbered file whose text changed since is refused: add a new numbered file."""
    directory = directory or migrations.folder("postgres")
    settings = settings or Settings.load()
    applied_now: list[str] = []
    with _errors(url):
        connection = connect(url, settings.db_timeout_seconds, bound_statements=False)  # backfills run long
        try:
            _wait_for_lock(connection, "pg_advisory_lock", MIGRATION_LOCK, settings, None, local=False)
            connection.execute(
                "create table if not exists public.schema_migrations (version text primary key,"
                " checksum text not null, applied_at timestamptz not null default now())"
            )
            applied = dict(
                connection.execute("select version, checksum from public.schema_migrations").fetchall()
            )
            numbered = migrations.numbered(directory)
            for migration in numbered:
                if applied.get(migration.version, migration.checksum) != migration.checksum:
                    raise StoreError(
                        f"migration {migration.name} changed after it was applied; add a new file instead"
                    )
            pending = [m for m in numbered if m.version not in applied]
            pending += [m for m in migrations.functions(directory) if applied.get(m.version) != m.checksum]
            for migration in pending:
                with connection.transaction():
                    connection.execute(migration.text)
                    connection.execute(
                        "insert into public.schema_migrations (version, checksum) values (%s, %s)"
                        " on conflict (version) do update set checksum = excluded.checksum, applied_at = now()",
                        (migration.version, migration.checksum),
                    )
                applied_now.append(f"{migration.version}.sql")
        finally:
            connection.close()
    return applied_now


def _usable(connection: psycopg.Connection) -> bool:
    return not (connection.closed or connection.broken)


def _array(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


TIMEOUT_MESSAGES = {
    LOCK_TIMEOUT: "a row or table this needs stayed locked by another session for longer than"
    " GENOME_DB_TIMEOUT_SECONDS allows: try again; if it keeps happening, look for a stuck session"
    " in pg_stat_activity",
    STATEMENT_TIMEOUT: "the server cancelled a statement that ran longer than its bound"
    f" ({STATEMENT_TIMEOUT_FACTOR} × GENOME_DB_TIMEOUT_SECONDS, {JOB_STATEMENT_SECONDS:g} s in a job):"
    " the server is overloaded or slow; try again, or raise GENOME_DB_TIMEOUT_SECONDS",
}


@contextmanager
def _errors(url: str) -> Iterator[None]:
    """psycopg errors as domain errors: P0002 NotFound, 55000 GenomeError, else StoreError with the
    server's code, message, detail and hint; the password never appears."""
    try:
        yield
    except psycopg.Error as error:
        diag = error.diag
        message = scrub(diag.message_primary or str(error).strip() or type(error).__name__, url)
        message = " ".join(message.split())  # libpq's own messages span lines; errors print as one
        if "timeout" in message:  # not a cancel by an operator, nor a NOWAIT refusal
            message = TIMEOUT_MESSAGES.get(error.sqlstate or "", message)
        if error.sqlstate == "P0002":
            raise NotFound(message) from None
        if error.sqlstate in ("55000", "22023"):
            raise GenomeError(message) from None
        hint = diag.message_hint
        if error.sqlstate in UNMIGRATED:
            hint = "the database lacks the genome schema: run `python -m genome migrate --database URL`"
        raise StoreError(
            f"Postgres: {message}",
            code=error.sqlstate,
            details=diag.message_detail and scrub(diag.message_detail, url),
            hint=hint,
        ) from None
