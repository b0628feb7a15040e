"""Supabase access control on the real Postgres server, with the roles the migrations create when missing.

anon reads and writes nothing and calls nothing; authenticated reads brands, scores, their history,
alerts and health metrics, and may only acknowledge or resolve alerts; no genome_* function (every one
in the schema, later migrations included) lets either role around that. The service role runs every job
through the real backend with row level security in force. Every statement a role tries runs in a
transaction that is rolled back, so the shared database never changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import quote

import psycopg
import pytest

import genome
from genome.store.postgres import migrate
from tests.expected_schema import AUTHENTICATED_READS, TABLES
from tests.job_processes import load, postgres_clone, workspace

pytestmark = pytest.mark.postgres

AS_OF = date(2026, 3, 1)
DENIED = "42501"  # insufficient_privilege, also raised for a row that breaks a policy's WITH CHECK
OPERATOR_FUNCTION = "genome_set_alert_status"


SUPABASE_DEFAULTS = """
do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin; end if;
end $$;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
"""


@pytest.fixture(scope="module", params=["migrated", "supabase-defaults"])
def database(request, postgres_url, postgres_template) -> Iterator[str]:
    """A migrated database holding the demo workspace, refreshed and validated (alerts open). The
    "supabase-defaults" one was migrated under Supabase's default privileges, which give anon and
    authenticated everything on each new table, sequence and function: the migrations must take it back."""
    if request.param == "migrated":
        clone = postgres_clone(postgres_url, postgres_template)
    else:
        clone = postgres_clone(postgres_url, "template0")
    with clone as url:
        if request.param == "supabase-defaults":
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(SUPABASE_DEFAULTS)
            migrate(url)
        g = genome.open(url)
        load(g.store, workspace(1, AS_OF))
        g.refresh(as_of=AS_OF)
        g.validate(as_of=AS_OF)
        g.close()
        yield url


@pytest.fixture
def connection(database) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database, autocommit=True) as opened:
        yield opened


def attempt(connection: psycopg.Connection, role: str, sql: str, params: tuple = ()) -> object:
    """What `role` gets from `sql`: the rows (or rows affected) when allowed, else the SQLSTATE. Always
    rolled back."""
    try:
        with connection.transaction(force_rollback=True):
            connection.execute(f"set local role {role}")
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else cursor.rowcount
    except psycopg.Error as error:
        return error.sqlstate


def alert_ids(connection: psycopg.Connection) -> list[int]:
    return [row[0] for row in connection.execute("select id from public.system_alerts order by id")]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_table_access_per_role(connection, role, table):
    first_column = connection.execute(
        "select column_name from information_schema.columns where table_schema = 'public'"
        " and table_name = %s and is_identity = 'NO' order by ordinal_position limit 1",
        (table,),
    ).fetchone()[0]
    tried = {
        "select": attempt(connection, role, f"select count(*) > 0 from public.{table}"),
        "insert": attempt(connection, role, f"insert into public.{table} default values"),
        "update": attempt(connection, role, f"update public.{table} set {first_column} = {first_column}"),
        "delete": attempt(connection, role, f"delete from public.{table}"),
    }
    readable = role == "authenticated" and table in AUTHENTICATED_READS
    assert tried == {
        "select": [(True,)] if readable else DENIED,
        "insert": DENIED,
        "update": DENIED,
        "delete": DENIED,
    }


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_no_function_lets_a_role_around_its_grants(connection, role):
    signatures = connection.execute(
        "select proname, oidvectortypes(proargtypes) from pg_proc"
        " where pronamespace = 'public'::regnamespace and proname like 'genome\\_%'"
        " and prorettype <> 'trigger'::regtype order by proname"  # triggers: no one may execute (test_migrations)
    ).fetchall()
    assert {name for name, _ in signatures} >= {
        "genome_apply_refresh",
        "genome_import_ads",
        OPERATOR_FUNCTION,
    }
    tried = {}
    for name, types in signatures:
        nulls = ", ".join(f"null::{kind}" for kind in types.split(", ") if kind)
        tried[name] = attempt(connection, role, f"select * from public.{name}({nulls})")
    expected = dict.fromkeys(tried, DENIED)
    if role == "authenticated":
        expected[OPERATOR_FUNCTION] = "22023"  # allowed to run: refuses a missing status by itself
    assert tried == expected


@pytest.mark.parametrize("role", ["anon", "authenticated"])
@pytest.mark.parametrize(
    "statement",
    [
        "create table public.genome_shadow (id int)",
        "create function public.genome_shadow() returns int language sql as 'select 1'",
        "create view public.genome_shadow as select 1 as one",
    ],
    ids=["table", "function", "view"],
)
def test_roles_cannot_add_objects_to_the_schema(connection, role, statement):
    assert attempt(connection, role, statement) == DENIED


def test_authenticated_acknowledges_and_resolves_alerts_and_nothing_else(connection):
    open_id = alert_ids(connection)[0]
    update = "update public.system_alerts set {} where id = %s returning status"
    tried = {
        "acknowledge": attempt(
            connection,
            "authenticated",
            update.format("status = 'acknowledged', acknowledged_by = 'm', acknowledged_at = now()"),
            (open_id,),
        ),
        "resolve": attempt(
            connection,
            "authenticated",
            update.format("status = 'resolved', resolved_by = 'm', resolved_at = now()"),
            (open_id,),
        ),
        "reopen": attempt(connection, "authenticated", update.format("status = 'open'"), (open_id,)),
        "rewrite message": attempt(
            connection, "authenticated", update.format("message = 'fine'"), (open_id,)
        ),
        "change severity": attempt(
            connection, "authenticated", update.format("severity = 'warning'"), (open_id,)
        ),
        "acknowledge through the function": attempt(
            connection,
            "authenticated",
            "select public.genome_set_alert_status(%s, 'acknowledged', 'm', 'note') ->> 'status'",
            (open_id,),
        ),
        "reopen through the function": attempt(
            connection, "authenticated", "select public.genome_set_alert_status(%s, 'open', 'm')", (open_id,)
        ),
    }
    assert tried == {
        "acknowledge": [("acknowledged",)],
        "resolve": [("resolved",)],
        "reopen": DENIED,
        "rewrite message": DENIED,
        "change severity": DENIED,
        "acknowledge through the function": [("acknowledged",)],
        "reopen through the function": "22023",
    }


def test_an_acknowledgement_by_authenticated_is_appended_to_the_events_it_cannot_write(connection):
    """Item 7 on Supabase: the role that may only read the event history still gets its
    acknowledgement recorded (the trigger writes as the table owner), by the function or the columns."""
    open_id = alert_ids(connection)[0]
    events = "select kind, actor, note from public.system_alert_events where alert_id = %s and kind = 'acknowledged'"
    recorded = {}
    for path, sql in {
        "function": "select public.genome_set_alert_status(%s, 'acknowledged', 'm', 'via function')",
        "columns": "update public.system_alerts set status = 'acknowledged', acknowledged_by = 'm',"
        " acknowledged_at = now(), ack_note = 'via columns' where id = %s",
    }.items():
        with connection.transaction(force_rollback=True):
            connection.execute("set local role authenticated")
            connection.execute(sql, (open_id,))
            recorded[path] = connection.execute(events, (open_id,)).fetchall()
    assert recorded == {
        "function": [("acknowledged", "m", "via function")],
        "columns": [("acknowledged", "m", "via columns")],
    }


@pytest.mark.parametrize("role", ["service_role", "postgres"])
def test_no_role_rewrites_or_forges_an_alert_event(connection, role):
    tried = {
        "update": attempt(connection, role, "update public.system_alert_events set note = 'rewritten'"),
        "insert": attempt(
            connection,
            role,
            "insert into public.system_alert_events (alert_id, brand_id, kind, actor, occurred_at)"
            " select id, brand_id, 'resolved', 'forger', now() from public.system_alerts limit 1",
        ),
    }
    if role == "service_role":
        assert tried == {"update": DENIED, "insert": DENIED}
    else:  # the owner holds every grant; the history still refuses to change
        assert tried["update"] == "55000"


def test_authenticated_cannot_touch_a_resolved_alert(connection):
    alert_id = alert_ids(connection)[0]
    with connection.transaction(force_rollback=True):
        connection.execute(
            "update public.system_alerts set status = 'resolved', resolved_at = now() where id = %s",
            (alert_id,),
        )
        connection.execute("set local role authenticated")
        updated = connection.execute(
            "update public.system_alerts set status = 'acknowledged', acknowledged_at = now() where id = %s",
            (alert_id,),
        ).rowcount
        # the function's row lock sees the row through the update policy too, so it reports no such
        # alert (P0002) to this role rather than "already resolved" (55000): refused either way
        with pytest.raises(psycopg.Error) as refused, connection.transaction():
            connection.execute("select public.genome_set_alert_status(%s, 'acknowledged', 'm')", (alert_id,))
        status = connection.execute("select status from public.system_alerts where id = %s", (alert_id,))
        assert (updated, refused.value.sqlstate, status.fetchone()[0]) == (0, "P0002", "resolved")


def as_service_role(url: str) -> str:
    """`url` with a session that runs as service_role (the superuser may take any role)."""
    return f"{url}?options={quote('-c role=service_role')}"


def test_the_service_role_runs_every_job_with_row_level_security_on(postgres_url, postgres_template):
    with postgres_clone(postgres_url, postgres_template) as url:
        with psycopg.connect(as_service_role(url)) as probe:
            assert probe.execute("select current_user").fetchone()[0] == "service_role"
        g = genome.open(as_service_role(url))
        try:
            load(g.store, workspace(1, AS_OF))
            refreshed = g.refresh(as_of=AS_OF)
            validated = g.validate(as_of=AS_OF)
            alert_id = int(g.alerts(status="open")["id"].iloc[0])
            acknowledged = g.acknowledge(alert_id, "ops", "on it")
            runs = g.job_runs()
        finally:
            g.close()
    assert refreshed["rewards_new"] > 0 and validated["alerts_opened"] > 0
    assert acknowledged["status"] == "acknowledged"
    assert set(runs["status"]) == {"succeeded"}
