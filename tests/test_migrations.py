"""The Postgres/Supabase migrations on a real server: apply, re-apply, security, and the rpc functions
called the way the REST backend calls them (named jsonb arguments, as the service_role)."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from genome.errors import StoreError
from genome.settings import Settings
from genome.store import migrations
from genome.store.postgres import PostgresStore, migrate
from tests.expected_schema import AUTHENTICATED_READS, TABLES

pytestmark = pytest.mark.postgres

FUNCTIONS = {
    "genome_ad_aggregates",
    "genome_brand_overview",
    "genome_record_job",
    "genome_save_brands",
    "genome_import_ads",
    "genome_import_performance",
    "genome_import_staging",
    "genome_refuse_unknown_ads",
    "genome_delete_ad_rows",
    "genome_apply_refresh",
    "genome_store_rewards",
    "genome_store_scores",
    "genome_apply_validation",
    "genome_apply_alert_actions",
    "genome_set_alert_status",
    "genome_known_ad_ids",
    "genome_ad_element_groups",
    "genome_brand_stats",
    "genome_record_alert_event",
    "genome_refuse_alert_event_change",
}
# functions that run as their owner: the trigger that appends alert events (no role needs to write that
# table), and genome_set_alert_status, whose signed-in form checks the caller's role and stamps auth.uid()
DEFINERS = {"genome_record_alert_event", "genome_set_alert_status"}
CATALOG_FINGERPRINT = """
select (select count(*) from pg_class where relnamespace = 'public'::regnamespace),
       (select count(*) from pg_proc where pronamespace = 'public'::regnamespace),
       (select count(*) from pg_policy),
       (select count(*) from pg_constraint where connamespace = 'public'::regnamespace),
       (select count(*) from public.schema_migrations)
"""


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


POSTGRES = Path(str(migrations.folder("postgres")))


def migration_files(directory: Path = POSTGRES) -> list[str]:
    """What `migrate` applies to an empty database, in its order: numbered files, then functions."""
    return [f"{m.version}.sql" for m in (*migrations.numbered(directory), *migrations.functions(directory))]


def test_migrations_apply_to_a_fresh_database_and_reapplying_is_a_no_op(empty_postgres_database):
    files = migration_files()
    assert files[0] == "0001_baseline.sql" and "functions/genome_apply_refresh.sql" in files
    assert migrate(empty_postgres_database) == files
    fingerprint = query(empty_postgres_database, CATALOG_FINGERPRINT)
    assert migrate(empty_postgres_database) == []
    assert query(empty_postgres_database, CATALOG_FINGERPRINT) == fingerprint
    recorded = query(empty_postgres_database, "select version from public.schema_migrations")
    assert sorted(row[0] + ".sql" for row in recorded) == sorted(files)


def test_every_function_lives_in_one_file_named_after_it():
    """One `create or replace function` per function file, named as its file; none in numbered files."""
    for migration in migrations.functions(POSTGRES):
        created = re.findall(r"create (?:or replace )?function public\.(\w+)", migration.text)
        assert set(created) == {migration.name.removesuffix(".sql")}  # overloads share their file
    assert {m.name.removesuffix(".sql") for m in migrations.functions(POSTGRES)} == FUNCTIONS
    for migration in migrations.numbered(POSTGRES):
        assert not re.search(r"create (or replace )?function public\.", migration.text)


def test_a_migration_edited_after_it_was_applied_is_refused(empty_postgres_database, tmp_path):
    directory = Path(shutil.copytree(POSTGRES, tmp_path / "migrations"))
    migrate(empty_postgres_database, directory)
    edited = directory / "0001_baseline.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")
    with pytest.raises(StoreError, match=r"0001_baseline\.sql changed"):
        migrate(empty_postgres_database, directory)


def test_a_changed_function_file_is_applied_again_and_keeps_its_grants(empty_postgres_database, tmp_path):
    """A function file whose checksum changed is applied again, alone; a return type change drops the
    old function first (in its file) and the file's grants apply to the new one."""
    directory = Path(shutil.copytree(POSTGRES, tmp_path / "migrations"))
    migrate(empty_postgres_database, directory)
    function = directory / "functions" / "genome_known_ad_ids.sql"
    function.write_text(
        "drop function if exists public.genome_known_ad_ids(text[]);\n"
        + function.read_text().replace("returns setof text", "returns table (ad_id text)")
    )
    assert migrate(empty_postgres_database, directory) == ["functions/genome_known_ad_ids.sql"]
    assert migrate(empty_postgres_database, directory) == []
    returns, service_role, authenticated = query(
        empty_postgres_database,
        "select pg_get_function_result(oid), has_function_privilege('service_role', oid, 'execute'),"
        " has_function_privilege('authenticated', oid, 'execute')"
        " from pg_proc where proname = 'genome_known_ad_ids'",
    )[0]
    assert (returns, service_role, authenticated) == ("TABLE(ad_id text)", True, False)
    recorded = query(
        empty_postgres_database,
        "select checksum from public.schema_migrations where version = 'functions/genome_known_ad_ids'",
    )
    checksums = {m.name: m.checksum for m in migrations.functions(directory)}
    assert recorded == [(checksums["genome_known_ad_ids.sql"],)]


def test_a_new_numbered_file_runs_before_the_function_files_that_need_it(empty_postgres_database, tmp_path):
    directory = Path(shutil.copytree(POSTGRES, tmp_path / "migrations"))
    migrate(empty_postgres_database, directory)
    note = f"{migrations.numbered(directory)[-1].number + 1:04d}_note.sql"
    (directory / note).write_text("alter table public.brands add column note text;\n")
    function = directory / "functions" / "genome_known_ad_ids.sql"
    function.write_text(  # a sql function's body is checked when it is created: the column must exist
        function.read_text().replace(
            "where a.id = any",
            "join public.brands b on b.id = a.brand_id where b.note is null and a.id = any",
        )
    )
    assert migrate(empty_postgres_database, directory) == [
        note,
        "functions/genome_known_ad_ids.sql",
    ]


def test_tenancy_brings_old_alert_names_and_notes_within_the_limits_and_keeps_their_events(
    empty_postgres_database, tmp_path
):
    """A database at the baseline whose alert holds a forged name (an escape) and a 5 MB note gets
    0002_tenancy: the alert row is cut to the limits with U+FFFD for forbidden characters, the event
    history keeps what was recorded, and no event is added."""
    directory = Path(shutil.copytree(POSTGRES, tmp_path / "migrations"))
    tenancy = (directory / "0002_tenancy.sql").read_text()
    (directory / "0002_tenancy.sql").unlink()
    migrate(empty_postgres_database, directory)
    forged, note = "sys\x1b[2Jtem", "x" * 5_000_000
    with psycopg.connect(empty_postgres_database, autocommit=True) as connection:
        connection.execute("insert into public.brands (id, name) values ('b1', 'Brand one')")
        connection.execute(
            "insert into public.system_alerts (brand_id, alert_type, severity) values ('b1', 'approval_rate', 'warning')"
        )
        connection.execute(  # as authenticated could before 0002
            "update public.system_alerts set status = 'acknowledged', acknowledged_by = %s,"
            " acknowledged_at = now(), ack_note = %s",
            (forged, note),
        )
    events = "select kind, actor, char_length(note) from public.system_alert_events order by id"
    before = query(empty_postgres_database, events)
    (directory / "0002_tenancy.sql").write_text(tenancy)
    assert migrate(empty_postgres_database, directory)[0] == "0002_tenancy.sql"
    alert = query(
        empty_postgres_database, "select acknowledged_by, char_length(ack_note) from public.system_alerts"
    )
    assert alert == [("sys\ufffd[2Jtem", 2000)]
    assert (
        query(empty_postgres_database, events)
        == before
        == [
            ("opened", "system", 0),
            ("acknowledged", forged, 5_000_000),
        ]
    )


def test_every_table_has_row_level_security_and_policies(postgres_database):
    rows = query(
        postgres_database,
        "select c.relname, c.relrowsecurity, count(p.polname) from pg_class c"
        " left join pg_policy p on p.polrelid = c.oid"
        " where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' group by c.relname, c.relrowsecurity",
    )
    assert {name for name, _, _ in rows} == set(TABLES)
    assert {name for name, secured, policies in rows if not secured or policies == 0} == set()


def test_functions_have_a_fixed_search_path_and_run_as_the_caller(postgres_database):
    rows = query(
        postgres_database,
        "select proname, prosecdef, proconfig from pg_proc where pronamespace = 'public'::regnamespace",
    )
    assert {name for name, _, _ in rows} == FUNCTIONS
    assert {name for name, _, config in rows if 'search_path=""' not in (config or [])} == set()
    assert {name for name, definer, _ in rows if definer} == DEFINERS


@pytest.mark.parametrize("table", TABLES)
def test_table_privileges_per_role(postgres_database, table):
    anon, authenticated, service = query(
        postgres_database,
        "select has_table_privilege('anon', %(t)s, 'select, insert, update, delete'),"
        " has_table_privilege('authenticated', %(t)s, 'select'),"
        " has_table_privilege('service_role', %(t)s, 'select, insert, update, delete')",
        {"t": f"public.{table}"},
    )[0]
    assert (anon, authenticated, service) == (False, table in AUTHENTICATED_READS, True)


def test_authenticated_may_write_no_column_of_any_table(postgres_database):
    """Security issue item 3: identity and time columns (acknowledged_by, resolved_at, created_at, ...)
    are never written by a client; a signed-in user changes an alert only through genome_set_alert_status."""
    writable = query(
        postgres_database,
        "select t, has_any_column_privilege('authenticated', 'public.' || t, 'insert, update')"
        " from unnest(%s::text[]) as t",
        (list(TABLES),),
    )
    assert {table for table, may in writable if may} == set()


@pytest.mark.parametrize(
    ("role", "callable_functions"), [("anon", set()), ("authenticated", {"genome_set_alert_status"})]
)
def test_function_execute_grants(postgres_database, role, callable_functions):
    rows = query(
        postgres_database,
        "select proname, has_function_privilege(%s, oid, 'execute') from pg_proc"
        " where pronamespace = 'public'::regnamespace",
        (role,),
    )
    assert {name for name, may in rows if may} == callable_functions


# --- the rpc functions, called as PostgREST does for the service_role -----------------------------------
ADS = [
    {
        "ad_id": "a1",
        "brand_id": "b1",
        "element_tags": {"hook_type": "question", "canvas_size": 1080},
        "pre_gen_score": 0.6,
        "final_status": "approved",
        "is_imported": False,
        "created_at": "2024-03-01T23:30:00",
    },
    {
        "ad_id": "a2",
        "brand_id": "b1",
        "element_tags": '{"hook_type": "statement"}',
        "pre_gen_score": None,
        "final_status": "rejected",
        "is_imported": True,
        "created_at": "2024-03-02T08:00:00.000000Z",
    },
]
ROWS = [
    {
        "ad_id": "a1",
        "date": "2024-03-02",
        "impressions": 1000.0,
        "clicks": 20,
        "conversions": 2,
        "spend": 10,
        "revenue": 30.5,
        "campaign_objective": "SALES",
    },
    {
        "ad_id": "a1",
        "date": "2024-03-03",
        "impressions": 500,
        "clicks": 5,
        "conversions": 0,
        "spend": 5,
        "revenue": 0,
        "campaign_objective": None,
    },
]
REWARDS = [
    {
        "ad_id": "a1",
        "brand_id": "b1",
        "reward_score": 0.75,
        "ctr": 0.0166,
        "conversion_rate": None,
        "roas": None,
        "ctr_score": 0.75,
        "conversion_score": None,
        "roas_score": None,
        "ctr_weight": 1.0,
        "conversion_weight": 0.0,
        "roas_weight": 0.0,
        "campaign_objective": "SALES",
        "maturity": "ctr",
        "impressions_at_reward": 1500.0,
        "matured_at": "2024-03-05",
    },
]
SCORES = [
    {
        "brand_id": "b1",
        "element_name": "hook_type",
        "element_value": "question",
        "alpha": 1.75,
        "beta": 1.25,
        "prior_alpha": 1.0,
        "prior_beta": 1.0,
        "prior_source": "uniform",
        "total_observations": 1,
        "mean_reward": 0.5833333333333334,
    },
]


JSONB_ARGUMENTS = {
    "p_ads",
    "p_rows",
    "p_brands",
    "p_rewards",
    "p_scores",
    "p_metrics",
    "p_actions",
    "p_summary",
}


def rpc(connection: psycopg.Connection, function: str, **arguments: object) -> object:
    """One call the way PostgREST makes it: named arguments, json values as jsonb, as service_role."""
    named = ", ".join(
        f"{name} => %({name})s::jsonb" if name in JSONB_ARGUMENTS else f"{name} => %({name})s"
        for name in arguments
    )
    params = {
        name: json.dumps(value) if name in JSONB_ARGUMENTS else value for name, value in arguments.items()
    }
    with connection.transaction():
        connection.execute("set local role service_role")
        return connection.execute(f"select public.{function}({named})", params).fetchone()[0]


@pytest.fixture
def service(postgres_database):
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        connection.execute("set timezone = 'Asia/Tokyo'")  # the functions read zone-less times as UTC
        yield connection


def test_rpc_imports_are_idempotent_and_read_back_through_the_read_functions(service):
    first = rpc(service, "genome_import_ads", p_ads=ADS)
    assert {k: first[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
    }
    again = rpc(service, "genome_import_ads", p_ads=ADS)
    assert {k: again[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert rpc(service, "genome_import_performance", p_rows=ROWS)["inserted"] == 2
    assert rpc(service, "genome_import_performance", p_rows=ROWS)["unchanged"] == 2
    with service.transaction():
        service.execute("set local role service_role")
        ads = service.execute(
            "select ad_id, impressions, revenue, first_date::text, campaign_objective"
            " from public.genome_ad_aggregates(p_brand_ids => %s, p_as_of => %s)",
            (["b1"], "2024-03-01"),
        ).fetchall()
        elements = service.execute(
            "select element_name, element_value, ad_ids from public.genome_ad_element_groups(p_elements => %s)",
            (["hook_type", "canvas_size"],),
        ).fetchall()
    assert ads == [("a1", 0.0, 0.0, None, "")]  # 23:30 UTC on 1 March belongs to 1 March
    assert elements == [
        ("canvas_size", "1080", ["a1"]),
        ("hook_type", "question", ["a1"]),
        ("hook_type", "statement", ["a2"]),
    ]


def test_rpc_refresh_validation_and_alert_status(service):
    rpc(service, "genome_import_ads", p_ads=ADS)
    arguments = {"p_brand_ids": ["b1"], "p_as_of": "2024-03-10", "p_rewards": REWARDS, "p_scores": SCORES}
    first = rpc(service, "genome_apply_refresh", **arguments, p_summary={"rewarded_ads": 1})
    assert (first["rewards_new"], first["scores"], first["elements_updated"], first["rewarded_ads"]) == (
        1,
        1,
        1,
        1,
    )
    second = rpc(service, "genome_apply_refresh", **arguments)
    assert (second["rewards_new"], second["rewards_unchanged"], second["elements_updated"]) == (0, 1, 0)
    components = service.execute("select reward_components from public.creative_element_rewards").fetchone()[
        0
    ]
    assert components == {name: REWARDS[0][name] for name in components}

    action = {
        "action": "open",
        "alert_id": None,
        "brand_id": "b1",
        "alert_type": "winner_rate",
        "severity": "warning",
        "metric_value": 0.01,
        "threshold_value": 0.05,
        "message": "few winners",
    }
    metric = {
        "brand_id": "b1",
        "metric_name": "winner_rate",
        "metric_value": 0.01,
        "warning": 0.05,
        "critical": 0.02,
    }
    report = rpc(
        service,
        "genome_apply_validation",
        p_brand_ids=["b1"],
        p_as_of="2024-03-10",
        p_metrics=[metric],
        p_actions=[action],
    )
    assert (report["alerts_opened"], report["metrics"]) == (1, 1)
    alert_id = service.execute("select id from public.system_alerts").fetchone()[0]
    acknowledged = rpc(
        service,
        "genome_set_alert_status",
        p_alert_id=alert_id,
        p_status="acknowledged",
        p_by="ops",
        p_note="on it",
    )
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("acknowledged", "ops")
    rpc(service, "genome_set_alert_status", p_alert_id=alert_id, p_status="resolved", p_by="ops", p_note="")


def validate_rpc(
    service, as_of: str, severity: str, action: str = "open", alert_id: int | None = None
) -> dict:
    breach = {"action": action, "alert_id": alert_id, "brand_id": "b1", "alert_type": "winner_rate", "severity": severity,
              "metric_value": 0.01, "threshold_value": 0.05, "message": f"{severity} winners"}  # fmt: skip
    return rpc(
        service,
        "genome_apply_validation",
        p_brand_ids=["b1"],
        p_as_of=as_of,
        p_metrics=[],
        p_actions=[breach],
    )


def test_rpc_validation_is_repeatable_and_an_escalation_reopens_with_its_events(service):
    """Items 6 and 7 through the SQL functions the Supabase backend calls."""
    rpc(service, "genome_import_ads", p_ads=ADS)
    validate_rpc(service, "2024-03-10", "warning")
    alert = "select status, severity, occurrences, message, last_seen_at, as_of from public.system_alerts"
    first = service.execute(alert).fetchall()
    alert_id = service.execute("select id from public.system_alerts").fetchone()[0]
    again = validate_rpc(service, "2024-03-10", "warning", "update", alert_id)
    assert (again["alerts_updated"], service.execute(alert).fetchall()) == (0, first)
    rpc(
        service,
        "genome_set_alert_status",
        p_alert_id=alert_id,
        p_status="acknowledged",
        p_by="ops",
        p_note="hm",
    )
    escalated = validate_rpc(service, "2024-03-11", "critical", "update", alert_id)
    assert (escalated["alerts_updated"], escalated["alerts_reopened"]) == (1, 1)
    assert service.execute("select status, severity, occurrences from public.system_alerts").fetchall() == [
        ("open", "critical", 2)
    ]
    events = service.execute(
        "select kind, actor, note, as_of::text from public.system_alert_events where alert_id = %s order by id",
        (alert_id,),
    ).fetchall()
    assert events == [
        ("opened", "system", "warning winners", "2024-03-10"),
        ("acknowledged", "ops", "hm", None),
        ("escalated", "system", "critical winners", "2024-03-11"),
        ("reopened", "system", "critical winners", "2024-03-11"),
    ]


@pytest.mark.parametrize(
    ("arguments", "sqlstate"),
    [
        ({"p_alert_id": 12345, "p_status": "resolved", "p_by": "ops", "p_note": ""}, "P0002"),
        ({"p_alert_id": 1, "p_status": "closed", "p_by": "ops", "p_note": ""}, "22023"),
        ({"p_alert_id": 1, "p_status": "resolved", "p_by": " System ", "p_note": ""}, "22023"),
    ],
)
def test_rpc_alert_status_refusals_carry_their_sqlstate(service, arguments, sqlstate):
    with pytest.raises(psycopg.Error) as refused:
        rpc(service, "genome_set_alert_status", **arguments)
    assert refused.value.sqlstate == sqlstate


def test_a_resolved_alert_cannot_be_changed_again(service):
    rpc(service, "genome_import_ads", p_ads=ADS)
    action = {"action": "open", "brand_id": "b1", "alert_type": "approval_rate", "severity": "critical"}
    rpc(
        service,
        "genome_apply_validation",
        p_brand_ids=["b1"],
        p_as_of="2024-03-10",
        p_metrics=[],
        p_actions=[action],
    )
    alert_id = service.execute("select id from public.system_alerts").fetchone()[0]
    rpc(service, "genome_set_alert_status", p_alert_id=alert_id, p_status="resolved", p_by="ops", p_note="")
    with pytest.raises(psycopg.Error) as refused:
        rpc(
            service,
            "genome_set_alert_status",
            p_alert_id=alert_id,
            p_status="acknowledged",
            p_by="ops",
            p_note="",
        )
    assert refused.value.sqlstate == "55000"


def test_an_operator_reads_scores_and_acknowledges_but_cannot_read_ads(service):
    rpc(service, "genome_import_ads", p_ads=ADS)
    action = {"action": "open", "brand_id": "b1", "alert_type": "approval_rate", "severity": "warning"}
    rpc(
        service,
        "genome_apply_validation",
        p_brand_ids=["b1"],
        p_as_of="2024-03-10",
        p_metrics=[],
        p_actions=[action],
    )
    operator = "00000000-0000-0000-0000-00000000000a"
    service.execute("update public.brands set organization_id = 'o1'")
    service.execute(
        "insert into public.organization_members (organization_id, user_id, role) values ('o1', %s, 'operator')",
        (operator,),
    )
    claims = json.dumps({"sub": operator, "role": "authenticated"})
    with service.transaction():
        service.execute("set local role authenticated")
        service.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
        alert_id = service.execute("select id from public.system_alerts").fetchone()[0]
        changed = service.execute(
            "select public.genome_set_alert_status(%s, 'acknowledged', '')", (alert_id,)
        ).fetchone()[0]
    assert (changed["status"], changed["acknowledged_by"]) == ("acknowledged", operator)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), service.transaction():
        service.execute("set local role authenticated")
        service.execute("select count(*) from public.generated_ads")


def test_rpc_record_job_for_a_failed_run(service):
    job_id = rpc(
        service,
        "genome_record_job",
        p_job_type="refresh",
        p_brand_ids=["b1"],
        p_status="failed",
        p_started_at="2024-03-10T10:00:00Z",
        p_summary={"as_of": "2024-03-10"},
        p_error="boom",
    )
    row = service.execute(
        "select job_type, brand_id, status, error, summary from public.genome_job_runs where id = %s",
        (job_id,),
    ).fetchone()
    assert row == ("refresh", "b1", "failed", "boom", {"as_of": "2024-03-10", "brand_ids": ["b1"]})


# --- connecting ------------------------------------------------------------------------------------------
def with_password(url: str, password: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{port or parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_the_store_url_never_shows_the_password(postgres_database):
    store = PostgresStore(with_password(postgres_database, "hunter2"), Settings())  # trust auth: any password
    try:
        assert "hunter2" not in store.url and ":***@" in store.url
    finally:
        store.close()


def test_connection_errors_keep_the_reason_but_not_the_password(postgres_url):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(StoreError) as refused:
        PostgresStore(with_password(postgres_url, "hunter2", closed_port), Settings())
    shown = f"{refused.value} {refused.value.details} {refused.value.hint}"
    assert "hunter2" not in shown and "127.0.0.1" in shown


def test_an_unmigrated_database_says_how_to_migrate(empty_postgres_database):
    store = PostgresStore(empty_postgres_database, Settings())
    try:
        with pytest.raises(StoreError) as refused:
            store.scores()
    finally:
        store.close()
    assert refused.value.code == "42P01" and "genome migrate" in refused.value.hint
