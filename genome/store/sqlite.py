"""SqliteStore: the embedded default. One file, WAL, one connection per thread, jobs in BEGIN IMMEDIATE.

Streamlit's server threads and a CLI process can use the same file at once: readers never block,
writers queue on the database lock (busy timeout), and a job reads its inputs inside its own write
transaction, so two concurrent refreshes run one after the other and end as one would.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshOutputs, ValidateOutputs
from genome.redaction import redact_url
from genome.settings import Settings
from genome.store import frames, migrations, reads, sqlite_writes
from genome.store.common import (
    JobFlow,
    JobRun,
    ThreadConnections,
    dumps,
    new_alert_status,
    utc_now,
)
from genome.store.payloads import timestamp_text
from genome.store.reads import TableReads
from genome.vocabulary import BRAND_STAT_NAMES

#: genome/migrations/sqlite's numbered files; `pragma user_version` = the number of the last one applied
MIGRATIONS = migrations.numbered(migrations.folder("sqlite"))
#: `pragma application_id` of a file these migrations made ("GENM"); files made by development versions
#: before them (user_version 0-3, their own upgrade chain) have 0 and are refused
APPLICATION_ID = 0x47454E4D
# `pragma quick_check` reads the whole file: about 0.6 s for 206 MB (1M daily rows) on this machine, so
# it runs on open up to this size; a larger file relies on SQLite's own checks as pages are read.
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
QUICK_CHECK_PROBLEMS = 3  # problems named in the message
BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
DAMAGED = "SQLITE_CORRUPT"
CACHE_KIB = 65536  # 64 MiB: refresh joins stay in memory
#: an import's pages stay dirty until its commit: a cache this size per row (capped) holds them, where a
#: smaller one writes them to the WAL and reads them back (1M daily rows: 8.5 s at 64 MiB, 3.3 at 256)
IMPORT_CACHE_BYTES_PER_ROW, IMPORT_CACHE_MAX_KIB = 256, 1 << 20
NOT_A_DATABASE = "SQLITE_NOTADB"  # SQLite checks the 16-byte header ("SQLite format 3\0") of page 1

_BRANDS = "(:all_brands or a.brand_id in (select value from json_each(:brand_ids)))"
# Ad aggregates come from ad_performance_totals (kept by imports); only ads with daily rows after
# `as_of` (a refresh back in time) have their rows up to `as_of` summed here.
_BACKDATED = sqlite_writes.AD_SUMS_SQL.format(
    ads="(select t.generated_ad_id from ad_performance_totals t join generated_ads a on a.id = t.generated_ad_id"
    f" where t.last_date > :as_of and {_BRANDS})"
)
AD_AGGREGATES_SQL = f"""
select a.id, a.brand_id, a.is_imported, a.created_at, a.final_status, a.pre_gen_score,
       coalesce(t.impressions, b.impressions, 0), coalesce(t.clicks, b.clicks, 0),
       coalesce(t.conversions, b.conversions, 0), coalesce(t.spend, b.spend, 0),
       coalesce(t.revenue, b.revenue, 0), coalesce(t.first_date, b.first_date),
       coalesce(t.last_date, b.last_date), coalesce(t.campaign_objective, b.campaign_objective, '')
from generated_ads a
left join ad_performance_totals t on t.generated_ad_id = a.id and (:as_of is null or t.last_date <= :as_of)
left join ({_BACKDATED}) b on b.generated_ad_id = a.id
where {_BRANDS} and (:as_of is null or substr(a.created_at, 1, 10) <= :as_of)
order by a.id
"""
# one row per (brand, element, value) with its ads as a JSON array: far fewer values to move into Python
AD_ELEMENTS_SQL = f"""
select a.brand_id, a.element_name, a.element_value, json_group_array(a.generated_ad_id)
from generated_ad_elements a
where {_BRANDS} and (:elements is null or a.element_name in (select value from json_each(:elements)))
group by a.brand_id, a.element_name, a.element_value
"""
BRAND_OVERVIEW_SQL = """
with ad_counts as (
    select brand_id, count(*) as ads, count(*) filter (where final_status = 'approved') as approved,
           count(*) filter (where final_status = 'rejected') as rejected
    from generated_ads group by brand_id
), reward_counts as (
    select brand_id, count(*) as matured, count(*) filter (where reward_score >= :threshold) as winners
    from creative_element_rewards group by brand_id
), alert_counts as (
    select brand_id, count(*) filter (where status = 'open') as open,
           count(*) filter (where status = 'acknowledged') as acknowledged
    from system_alerts where status <> 'resolved' group by brand_id
), refreshes as (
    select refreshed.value as brand_id, max(j.finished_at) as last_refresh
    from genome_job_runs j, json_each(j.summary, '$.brand_ids') as refreshed
    where j.job_type = 'refresh' and j.status = 'succeeded'
    group by refreshed.value
)
select b.id, b.name, b.organization_id, coalesce(ad_counts.ads, 0), coalesce(reward_counts.matured, 0),
       coalesce(ad_counts.approved, 0), coalesce(ad_counts.rejected, 0), coalesce(alert_counts.open, 0),
       coalesce(alert_counts.acknowledged, 0),
       cast(reward_counts.winners as real) / nullif(reward_counts.matured, 0), refreshes.last_refresh
from brands b
left join ad_counts on ad_counts.brand_id = b.id
left join reward_counts on reward_counts.brand_id = b.id
left join alert_counts on alert_counts.brand_id = b.id
left join refreshes on refreshes.brand_id = b.id
order by b.id
"""
BRAND_STATS_SQL = """
select (select count(*) from creative_element_rewards where brand_id = b.id),
       count(a.id) filter (where a.final_status = 'approved'),
       count(a.id) filter (where a.final_status = 'rejected')
from brands b
left join generated_ads a
  on a.brand_id = b.id and not a.is_imported and a.created_at >= :since and a.created_at < :after
where b.id = :brand
group by b.id
"""


class SqliteStore(TableReads, JobFlow[sqlite3.Connection]):
    """A workspace in one SQLite file (created with its schema on first use)."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.path = sqlite_path(url)
        self.url = redact_url(url)
        self.settings = settings or Settings()
        self.notices: tuple[str, ...] = ()  # what the person opening it should know (CLI and dashboard show)
        self.read_only = False
        size = self._inspect_file()
        if size:
            self._check_file(quick=size <= QUICK_CHECK_MAX_BYTES)
        self._connections = ThreadConnections(self._open_connection, lambda _connection: True)
        self._cache = threading.local()  # this thread's connection, its data_version, cached reads
        self._connection()

    def close(self) -> None:
        self._connections.close_all()

    # --- connections and transactions -----------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def _inspect_file(self) -> int:
        """Before any connection: the file's size; note an empty file (it is about to become a new
        workspace) and open read-only a workspace this user cannot write. A missing file is created
        whole (`_create_workspace`). Only `stat`: closing a descriptor of the file would drop the
        locks of this process's other connections to it (SQLite's "how to corrupt" §2.2)."""
        path = Path(self.path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            _create_workspace(path)
            return 0
        except OSError as error:
            raise StoreError(f"SQLite: cannot read the workspace file {path}: {error.strerror}") from None
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        if size == 0 and writable:
            self.notices = (f"{path} was an empty file (0 bytes): it was set up as a new, empty workspace",)
        elif size == 0:
            raise StoreError(
                f"SQLite: {path} is an empty file (0 bytes) this user cannot write: it cannot be set up"
            )
        elif not writable:
            self.read_only = True
            self.notices = (
                f"{path} is open read-only (this user cannot write the file or its folder): pages and reads"
                " work; imports, refreshes and alert changes will fail",
            )
        return size

    def _check_file(self, quick: bool) -> None:
        """On its own connection, before anything reads the file: SQLite checks the header (a file that
        is not a database is refused) and, when `quick`, `pragma quick_check` reads every page."""
        with self._errors():
            connection = self._connect()
            try:
                connection.execute("pragma schema_version").fetchone()
                rows = (
                    connection.execute(f"pragma quick_check({QUICK_CHECK_PROBLEMS})").fetchall()
                    if quick
                    else []
                )
            finally:
                connection.close()
        if rows not in ([], [("ok",)]):
            lines = [line for row in rows for line in str(row[0]).splitlines() if not line.startswith("***")]
            raise StoreError(self._damaged("; ".join(lines[:QUICK_CHECK_PROBLEMS])))

    def _connect(self) -> sqlite3.Connection:
        """A raw connection that waits GENOME_JOB_WAIT_SECONDS for another writer. Read-only: `mode=ro`,
        else `immutable` (no -shm can be made in an unwritable folder; safe only without a -wal file)."""
        wait = self.settings.job_wait_seconds
        options = {"timeout": wait, "isolation_level": None, "check_same_thread": False}
        if not self.read_only:
            return sqlite3.connect(self.path, **options)
        uri = Path(self.path).resolve().as_uri()
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)
        try:
            connection.execute("pragma schema_version").fetchone()  # needs a -shm file it may not create
            return connection
        except sqlite3.OperationalError:
            connection.close()
            if Path(f"{self.path}-wal").exists():
                raise  # immutable would ignore the WAL and read stale pages
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, **options)

    def _open_connection(self) -> sqlite3.Connection:
        with self._errors():
            connection = self._connect()
            connection.execute(f"pragma busy_timeout = {int(self.settings.job_wait_seconds * 1000)}")
            connection.execute("pragma foreign_keys = on")
            connection.execute(f"pragma cache_size = -{CACHE_KIB}")
            connection.execute("pragma temp_store = memory")  # a job's incoming rows never touch the disk
            connection.executescript(sqlite_writes.TEMP_TABLES)
            connection.create_aggregate("money_sum", 2, sqlite_writes.MoneySum)
            try:
                if self.read_only and schema_version(connection, self.path) < MIGRATIONS[-1].number:
                    raise StoreError(
                        f"SQLite: {self.path} needs a one-time upgrade, which needs write access"
                    )
                if not self.read_only:
                    connection.execute("pragma journal_mode = wal")
                    connection.execute("pragma synchronous = normal")
                    apply_migrations(connection, self.path)
            except BaseException:
                connection.close()  # a refused file keeps no handle open
                raise
        return connection

    def _damaged(self, detail: str) -> str:
        return (
            f"SQLite: the workspace file {self.path} is damaged ({detail}): restore it from a backup, or"
            f" recover what can be read with `sqlite3 {self.path} .recover`"
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """sqlite3 errors as StoreError with SQLite's error name as the code; a lock held too long, a
        damaged file and a read-only workspace say which file and what to do."""
        try:
            yield
        except sqlite3.Error as error:
            code = error.sqlite_errorname or ""
            message = f"SQLite: {error}"
            if code.startswith(BUSY):
                message = (
                    f"SQLite: the workspace file {self.path} is locked: another job (a refresh, validation or"
                    f" import, here or in another process) has been writing for more than"
                    f" {self.settings.job_wait_seconds:g} s (GENOME_JOB_WAIT_SECONDS). Try again when it"
                    " finishes; if none is running, look for a stuck `python -m genome` process"
                )
            elif code.startswith(DAMAGED):
                message = self._damaged(str(error))
            elif code == NOT_A_DATABASE:
                message = (
                    f"SQLite: {self.path} is not a SQLite database (it does not start with the SQLite header):"
                    " check that GENOME_DATABASE_URL points at the workspace file"
                )
            elif code.startswith("SQLITE_READONLY"):
                message = (
                    f"SQLite: the workspace file {self.path} cannot be written by this user ({error}): reads"
                    f" work; writing needs write permission on the file and on {Path(self.path).parent}"
                )
            elif code.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PERM")):
                message = f"SQLite: {error} ({self.path})"
            raise StoreError(message, code=code or None) from error

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        try:
            with self._errors():
                connection.execute("begin immediate")
                try:
                    yield connection
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("rollback")
                    raise
                connection.execute("commit")
        finally:  # data_version does not count this connection's own writes
            self._cache.entry = None

    def _cached(self, key: tuple, load: Callable[[], Any]) -> Any:
        """`load()` once per change of the file: reads by the generator hot path (brand counts and
        scores) are kept per thread until any connection commits (`pragma data_version`) or this
        one runs a transaction."""
        connection = self._connection()
        with self._errors():
            version = connection.execute("pragma data_version").fetchone()[0]
        entry = getattr(self._cache, "entry", None)
        if entry is None or entry[0] is not connection or entry[1] != version:
            entry = (connection, version, {})
            self._cache.entry = entry
        if key not in entry[2]:
            entry[2][key] = load()  # read after the version: a commit in between only reloads later
        return entry[2][key]

    def _read(
        self, sql: str, params: Any, spec: dict, connection: sqlite3.Connection | None = None
    ) -> pd.DataFrame:
        with self._errors():
            rows = (connection or self._connection()).execute(sql, params).fetchall()
        return frames.coerce(rows, spec)

    def _select(self, read: reads.Read, connection: sqlite3.Connection | None = None) -> pd.DataFrame:
        sql, params = reads.sql(read, "sqlite")
        return self._read(sql, params, read.spec, connection)

    # --- brands and imports -----------------------------------------------------------------------
    def save_brands(self, brands: pd.DataFrame) -> dict:
        with self._transaction() as connection:
            return sqlite_writes.save_brands(connection, brands)

    def known_ad_ids(self, ad_ids: Sequence[str]) -> set[str]:
        with self._errors():
            rows = self._connection().execute(
                "select id from generated_ads where id in (select value from json_each(?))",
                (dumps(list(ad_ids)),),
            )
            return {row[0] for row in rows}

    # --- the job flow's primitives (common.JobFlow) ---------------------------------------------------
    def _job_scope(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction()

    def _write_import(self, connection: sqlite3.Connection, run: JobRun, rows: pd.DataFrame) -> dict:
        cache = min(max(CACHE_KIB, len(rows) * IMPORT_CACHE_BYTES_PER_ROW // 1024), IMPORT_CACHE_MAX_KIB)
        connection.execute(f"pragma cache_size = -{cache}")
        try:
            return sqlite_writes.IMPORTS[run.job_type](connection, rows, run.started)
        finally:
            connection.execute(f"pragma cache_size = -{CACHE_KIB}")

    def _write_refresh(self, connection: sqlite3.Connection, run: JobRun, outputs: RefreshOutputs) -> dict:
        assert run.as_of is not None
        return sqlite_writes.apply_refresh(connection, run.brand_ids, run.as_of, outputs, run.started)

    def _write_validation(
        self, connection: sqlite3.Connection, run: JobRun, outputs: ValidateOutputs
    ) -> dict:
        assert run.as_of is not None
        return sqlite_writes.apply_validation(connection, run.brand_ids, run.as_of, outputs, run.started)

    def _record_job_run(
        self, connection: sqlite3.Connection, run: JobRun, summary: dict, error: str | None = None
    ) -> int:
        status = "failed" if error else "succeeded"
        return sqlite_writes.record_job(
            connection, run.job_type, run.brand_ids, status, run.started, summary, error
        )

    def _failure_is_recordable(self, error: Exception) -> bool:
        """Not when the job failed waiting for the write lock: the record would wait (and fail) the same
        way, doubling the wait; the error already says what happened."""
        return not (isinstance(error, StoreError) and (error.code or "").startswith(BUSY))

    # --- reads --------------------------------------------------------------------------------------
    def _read_ad_elements(
        self,
        connection: sqlite3.Connection | None,
        brand_ids: Sequence[str] | None,
        elements: Sequence[str] | None,
    ) -> pd.DataFrame:
        with self._errors():
            groups = (connection or self._connection()).execute(
                AD_ELEMENTS_SQL, _scope(brand_ids, elements=elements)
            )
            return frames.elements_from_groups(groups.fetchall())

    def _read_ad_aggregates(
        self, connection: sqlite3.Connection | None, brand_ids: Sequence[str] | None, as_of: date | None
    ) -> pd.DataFrame:
        params = _scope(brand_ids, as_of=None if as_of is None else as_of.isoformat())
        return self._read(AD_AGGREGATES_SQL, params, frames.AD_AGGREGATES, connection)

    def scores(self, brand_id: str | None = None) -> pd.DataFrame:
        # a shallow copy: with copy-on-write a caller's change never reaches the cached frame
        return self._cached(("scores", brand_id), lambda: TableReads.scores(self, brand_id)).copy(deep=False)

    def brand_overview(self, winner_threshold: float) -> pd.DataFrame:
        return self._read(BRAND_OVERVIEW_SQL, {"threshold": winner_threshold}, frames.BRAND_OVERVIEW)

    def brand_stats(self, brand_id: str, approval_window: tuple[date, date]) -> dict[str, int] | None:
        # ISO text compares like time: the window is [first day, day after the last), along the
        # (brand_id, created_at) index
        since, after = approval_window[0].isoformat(), (approval_window[1] + timedelta(days=1)).isoformat()

        def load() -> dict[str, int] | None:
            params = {"brand": brand_id, "since": since, "after": after}
            with self._errors():
                row = self._connection().execute(BRAND_STATS_SQL, params).fetchone()
            return None if row is None else dict(zip(BRAND_STAT_NAMES, row, strict=True))

        stats = self._cached(("brand_stats", brand_id, since, after), load)
        return None if stats is None else dict(stats)

    def set_alert_status(self, alert_id: int, status: str, by: str, note: str, at: datetime) -> dict:
        status = new_alert_status(status)
        with self._transaction() as connection:
            row = connection.execute("select status from system_alerts where id = ?", (alert_id,)).fetchone()
            if row is None:
                raise NotFound(f"no alert {alert_id}")
            if row[0] == "resolved":
                raise GenomeError(f"alert {alert_id} is already resolved")
            who, when, what = (
                ("acknowledged_by", "acknowledged_at", "ack_note")
                if status == "acknowledged"
                else ("resolved_by", "resolved_at", "resolution_note")
            )
            connection.execute(
                f"update system_alerts set status = ?, {who} = ?, {when} = ?, {what} = ? where id = ?",
                (status, by, timestamp_text(at or utc_now()), note or "", alert_id),
            )
            alert = self._read(
                f"select {', '.join(frames.ALERTS)} from system_alerts where id = ?",
                (alert_id,),
                frames.ALERTS,
                connection,
            )
        return alert.to_dict("records")[0]


def sqlite_path(url: str) -> str:
    """The file of a sqlite:///path URL (sqlite:////abs/path for an absolute path)."""
    if not url.startswith("sqlite:///"):
        raise GenomeError(f"not a SQLite URL (expected sqlite:///path): {redact_url(url)!r}")
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:":
        raise GenomeError("a SQLite URL needs a file path, e.g. sqlite:///genome.db")
    parent = Path(path).expanduser().parent
    if not parent.is_dir():
        raise GenomeError(f"the folder of the SQLite file does not exist: {parent}")
    return str(Path(path).expanduser())


def _scope(brand_ids: Sequence[str] | None, **extra: Any) -> dict:
    params = {"all_brands": brand_ids is None, "brand_ids": dumps(list(brand_ids or ()))}
    for name, value in extra.items():
        params[name] = dumps(list(value)) if isinstance(value, list | tuple) else value
    return params


def _create_workspace(path: Path) -> None:
    """Make a new workspace file whole: the empty database is written under a private name, then linked
    into place, so no other process ever finds it half made (a 0-byte file means someone else made it)."""
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"SQLite: cannot create the workspace file {path}: its folder is not writable")
    staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        connection = sqlite3.connect(staging, isolation_level=None)
        try:
            connection.execute("pragma journal_mode = wal")
            apply_migrations(connection, path)
        finally:
            connection.close()  # the last connection folds the WAL into the file
        os.link(staging, path)
    except FileExistsError:
        pass  # another process created it first: use theirs
    except (OSError, sqlite3.Error) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise StoreError(f"SQLite: cannot create the workspace file {path}: {reason}") from None
    finally:
        for leftover in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
            leftover.unlink(missing_ok=True)


def schema_version(connection: sqlite3.Connection, path: str | Path) -> int:
    """The number of the last migration applied to the file: 0 for a new, empty file. A file the
    migrations did not make (a development version's, or another program's) or a newer version's is
    refused, naming the file and what to do."""
    user_version, application_id, tables = connection.execute(
        "select (select user_version from pragma_user_version),"
        " (select application_id from pragma_application_id),"
        " (select count(*) from sqlite_schema where type = 'table')"
    ).fetchone()
    if application_id != APPLICATION_ID and (user_version or tables):
        raise StoreError(
            f"SQLite: {path} was made by a development version of Creative Genome from before its"
            " numbered SQLite migrations (or by another program), so it cannot be opened: move it aside"
            " and import your ads and performance CSVs into a new workspace file"
        )
    if user_version > MIGRATIONS[-1].number:
        raise StoreError(
            f"SQLite: {path} was made by a newer version of Creative Genome (schema {user_version}; this"
            f" one knows up to {MIGRATIONS[-1].number}): upgrade Creative Genome to open it"
        )
    return user_version


def apply_migrations(connection: sqlite3.Connection, path: str | Path) -> None:
    """Apply the numbered SQLite migrations the file lacks, each in its own BEGIN IMMEDIATE transaction
    that re-reads the version under the write lock (another process may have applied it meanwhile)."""
    for migration in MIGRATIONS:
        if schema_version(connection, path) >= migration.number:
            continue
        connection.execute("begin immediate")
        try:
            if schema_version(connection, path) < migration.number:
                for statement in migrations.statements(migration.text):
                    connection.execute(statement)
                connection.execute(f"pragma application_id = {APPLICATION_ID}")
                connection.execute(f"pragma user_version = {migration.number}")
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
