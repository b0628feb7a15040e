"""Supabase access control on the real Postgres server, with the roles the migrations create when missing.

anon reads and writes nothing and calls nothing; authenticated (claims set the PostgREST way) reads the
brands, scores, their history, alerts, alert events and health metrics of its own organizations only,
writes nothing, and acknowledges or resolves its organizations' alerts only as an operator, through
genome_set_alert_status, which stamps auth.uid() and now(); no genome_* function (every one in the
schema, later migrations included) lets either role around that. The service role runs every job
through the real backend with row level security in force. Every statement a role tries runs in a
transaction that is rolled back, so the shared database never changes.
"""

from __future__ import annotations

import json
import uuid
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
SIGNED_IN_FORM = "genome_set_alert_status(bigint,text,text)"
# two organizations of the demo brands; s1-ember-kitchen belongs to none, so no signed-in user sees it
ORGANIZATIONS = {
    "org-a": ("s1-aurora-skincare", "s1-cedar-home"),
    "org-b": ("s1-bolt-athletics", "s1-dune-outdoor"),
}
MEMBERS = {  # name -> (user id, organization, role)
    "viewer-a": ("00000000-0000-4000-8000-00000000000a", "org-a", "viewer"),
    "operator-a": ("00000000-0000-4000-8000-0000000000aa", "org-a", "operator"),
    "viewer-b": ("00000000-0000-4000-8000-00000000000b", "org-b", "viewer"),
    "admin-b": ("00000000-0000-4000-8000-0000000000bb", "org-b", "admin"),
}
OTHER = {"org-a": "org-b", "org-b": "org-a"}
BRAND_TABLES = {  # table -> its brand column
    "brands": "id",
    "creative_element_scores": "brand_id",
    "creative_element_score_history": "brand_id",
    "system_alerts": "brand_id",
    "system_alert_events": "brand_id",
    "health_metric_history": "brand_id",
}


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
        with psycopg.connect(url, autocommit=True) as connection:
            add_organizations(connection)
        yield url


def add_organizations(connection: psycopg.Connection) -> None:
    """The brands in ORGANIZATIONS and the MEMBERS, as an owner adds them (README "Storage and deployment")."""
    connection.execute("update public.brands set organization_id = null")
    for organization, brand_ids in ORGANIZATIONS.items():
        connection.execute(
            "update public.brands set organization_id = %s where id = any(%s)",
            (organization, list(brand_ids)),
        )
    for user_id, organization, role in MEMBERS.values():
        connection.execute(
            "insert into public.organization_members (organization_id, user_id, role) values (%s, %s, %s)",
            (organization, user_id, role),
        )


@pytest.fixture
def connection(database) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database, autocommit=True) as opened:
        yield opened


def sign_in(connection: psycopg.Connection, member: str | None) -> None:
    """Take the role and claims PostgREST sets for a request with `member`'s JWT (a member's name, or a
    user id; "" for claims without `sub`), for this transaction."""
    sub = MEMBERS[member][0] if member in MEMBERS else member
    claims = {"sub": sub, "role": "authenticated"} if sub else {"role": "authenticated"}
    connection.execute("set local role authenticated")
    connection.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


def attempt(
    connection: psycopg.Connection, role: str, sql: str, params: tuple = (), member: str | None = None
) -> object:
    """What `role` (or `member`, signed in as authenticated) gets from `sql`: the rows (or rows
    affected) when allowed, else the SQLSTATE. Always rolled back."""
    try:
        with connection.transaction(force_rollback=True):
            if member is None:
                connection.execute(f"set local role {role}")
            else:
                sign_in(connection, member)
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else cursor.rowcount
    except psycopg.Error as error:
        return error.sqlstate


def alert_ids(connection: psycopg.Connection, organization: str = "org-a") -> list[int]:
    """The ids of `organization`'s alerts (as the owner sees them)."""
    return [
        row[0]
        for row in connection.execute(
            "select id from public.system_alerts where brand_id = any(%s) order by id",
            (list(ORGANIZATIONS[organization]),),
        )
    ]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_table_access_per_role(connection, role, table):
    first_column = connection.execute(
        "select column_name from information_schema.columns where table_schema = 'public'"
        " and table_name = %s and is_identity = 'NO' order by ordinal_position limit 1",
        (table,),
    ).fetchone()[0]
    member = "operator-a" if role == "authenticated" else None
    tried = {
        "select": attempt(connection, role, f"select count(*) > 0 from public.{table}", member=member),
        "insert": attempt(connection, role, f"insert into public.{table} default values", member=member),
        "update": attempt(
            connection, role, f"update public.{table} set {first_column} = {first_column}", member=member
        ),
        "delete": attempt(connection, role, f"delete from public.{table}", member=member),
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
    member = "operator-a" if role == "authenticated" else None
    tried = {}
    for name, types in signatures:
        nulls = ", ".join(f"null::{kind}" for kind in types.split(", ") if kind)
        tried[f"{name}({types})"] = attempt(
            connection, role, f"select * from public.{name}({nulls})", member=member
        )
    expected = dict.fromkeys(tried, DENIED)
    if role == "authenticated":  # allowed to run the signed-in form only: it finds no alert null
        expected[f"{OPERATOR_FUNCTION}(bigint, text, text)"] = "P0002"
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


def test_an_operator_changes_alerts_only_through_the_function(connection):
    """Security issue item 3: no direct write of status, identity, time or note columns by a client."""
    open_id = alert_ids(connection)[0]
    update = "update public.system_alerts set {} where id = %s returning status"
    direct = {
        "acknowledge": "status = 'acknowledged', acknowledged_by = 'm', acknowledged_at = now()",
        "resolve": "status = 'resolved', resolved_by = 'system', resolved_at = '2000-01-01'",
        "rewrite the note": "ack_note = 'fine'",
        "reopen": "status = 'open'",
        "rewrite message": "message = 'fine'",
        "change severity": "severity = 'warning'",
    }
    tried = {
        what: attempt(connection, "authenticated", update.format(sql), (open_id,), member="operator-a")
        for what, sql in direct.items()
    }
    tried["acknowledge through the function"] = attempt(
        connection,
        "authenticated",
        "select public.genome_set_alert_status(%s, 'acknowledged', 'note') ->> 'status'",
        (open_id,),
        member="operator-a",
    )
    tried["reopen through the function"] = attempt(
        connection,
        "authenticated",
        "select public.genome_set_alert_status(%s, 'open')",
        (open_id,),
        member="operator-a",
    )
    tried["the service role's form"] = attempt(
        connection,
        "authenticated",
        "select public.genome_set_alert_status(%s, 'acknowledged', 'system', '', '2000-01-01')",
        (open_id,),
        member="operator-a",
    )
    assert tried == {
        **dict.fromkeys(direct, DENIED),
        "acknowledge through the function": [("acknowledged",)],
        "reopen through the function": "22023",
        "the service role's form": DENIED,
    }


@pytest.mark.parametrize("status", ["acknowledged", "resolved"])
def test_an_operators_change_is_stamped_with_its_user_and_the_time(connection, status):
    """Whatever the client holds, the row and its event name auth.uid() and carry now()."""
    open_id = alert_ids(connection)[0]
    user_id, _, _ = MEMBERS["operator-a"]
    by, at = (
        ("acknowledged_by", "acknowledged_at") if status == "acknowledged" else ("resolved_by", "resolved_at")
    )
    with connection.transaction(force_rollback=True):
        sign_in(connection, "operator-a")
        connection.execute("select public.genome_set_alert_status(%s, %s, 'on it')", (open_id, status))
        row = connection.execute(
            f"select {by}, {at} = now() from public.system_alerts where id = %s", (open_id,)
        ).fetchone()
        event = connection.execute(
            "select actor, occurred_at = now(), note from public.system_alert_events"
            " where alert_id = %s and kind = %s",
            (open_id, status),
        ).fetchall()
    assert (row, event) == ((user_id, True), [(user_id, True, "on it")])


@pytest.mark.parametrize("status", ["acknowledged", "resolved"])
@pytest.mark.parametrize("member", ["viewer-a", ""], ids=["viewer", "claims without sub"])
def test_a_viewer_or_an_unsigned_caller_cannot_change_an_alert(connection, member, status):
    open_id = alert_ids(connection)[0]
    sql = "select public.genome_set_alert_status(%s, %s, '')"
    assert attempt(connection, "authenticated", sql, (open_id, status), member=member) == DENIED


@pytest.mark.parametrize("member", list(MEMBERS))
def test_each_member_sees_only_its_own_organizations_rows(connection, member):
    """Security issue item 2: brands, scores, score history, alerts, alert events and health metrics."""
    user_id, organization, role = MEMBERS[member]
    seen, owned = {}, {}
    for table, column in BRAND_TABLES.items():
        sql = f"select distinct {column} from public.{table} order by 1"
        seen[table] = attempt(connection, "authenticated", sql, member=member)
        owned[table] = [row for row in connection.execute(sql) if row[0] in ORGANIZATIONS[organization]]
    seen["organization_members"] = attempt(
        connection,
        "authenticated",
        "select organization_id, user_id::text, role from public.organization_members",
        member=member,
    )
    owned["organization_members"] = [(organization, user_id, role)]
    seen["genome_job_runs"] = attempt(
        connection, "authenticated", "select 1 from public.genome_job_runs", member=member
    )
    owned["genome_job_runs"] = DENIED
    assert seen == owned
    assert owned["system_alerts"] and owned["health_metric_history"] and owned["creative_element_scores"]


@pytest.mark.parametrize("member", ["", str(uuid.UUID(int=7))], ids=["claims without sub", "not a member"])
def test_a_signed_in_user_of_no_organization_sees_nothing(connection, member):
    seen = {
        table: attempt(connection, "authenticated", f"select count(*) from public.{table}", member=member)
        for table in [*BRAND_TABLES, "organization_members"]
    }
    assert seen == {table: [(0,)] for table in seen}


@pytest.mark.parametrize("member", ["operator-a", "admin-b"])
def test_a_member_cannot_change_the_other_organizations_alerts(connection, member):
    """By UPDATE, or through every function authenticated may execute (found from the catalog)."""
    other_alert = alert_ids(connection, OTHER[MEMBERS[member][1]])[0]
    granted = connection.execute(
        "select oid::regprocedure::text from pg_proc where pronamespace = 'public'::regnamespace"
        " and has_function_privilege('authenticated', oid, 'execute')"
    ).fetchall()
    assert granted == [(SIGNED_IN_FORM,)]
    before = connection.execute("select * from public.system_alerts where id = %s", (other_alert,)).fetchall()
    tried = {
        "update": attempt(
            connection,
            "authenticated",
            "update public.system_alerts set status = 'resolved', resolved_at = now() where id = %s",
            (other_alert,),
            member=member,
        ),
        **{
            status: attempt(
                connection,
                "authenticated",
                "select public.genome_set_alert_status(%s, %s, '')",
                (other_alert, status),
                member=member,
            )
            for status in ("acknowledged", "resolved")
        },
    }
    after = connection.execute("select * from public.system_alerts where id = %s", (other_alert,)).fetchall()
    assert tried == {"update": DENIED, "acknowledged": "P0002", "resolved": "P0002"} and after == before


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


def test_an_operator_cannot_touch_a_resolved_alert(connection):
    alert_id = alert_ids(connection)[0]
    with connection.transaction(force_rollback=True):
        connection.execute(
            "update public.system_alerts set status = 'resolved', resolved_at = now() where id = %s",
            (alert_id,),
        )
        sign_in(connection, "operator-a")
        with pytest.raises(psycopg.Error) as refused, connection.transaction():
            connection.execute("select public.genome_set_alert_status(%s, 'acknowledged', '')", (alert_id,))
        status = connection.execute("select status from public.system_alerts where id = %s", (alert_id,))
        assert (refused.value.sqlstate, status.fetchone()[0]) == ("55000", "resolved")


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
