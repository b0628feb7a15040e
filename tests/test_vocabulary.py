"""genome/vocabulary.py is the one definition of the fixed value sets: the databases' check
constraints (SQLite and migrated Postgres) allow exactly those values."""

from __future__ import annotations

import re
import sqlite3

import psycopg
import pytest

from genome import vocabulary
from genome.store.sqlite import SqliteStore, sqlite_path

# constraint name -> (table, the vocabulary set it must allow)
CONSTRAINTS = {
    "generated_ads_final_status": ("generated_ads", vocabulary.FINAL_STATUSES),
    "job_runs_status": ("genome_job_runs", vocabulary.JOB_STATUSES),
    "alerts_severity": ("system_alerts", vocabulary.SEVERITIES),
    "alerts_status": ("system_alerts", vocabulary.ALERT_STATUSES),
    "alert_events_kind": ("system_alert_events", vocabulary.ALERT_EVENT_KINDS),
}


def sqlite_allowed(url: str, table: str, constraint: str) -> set[str]:
    SqliteStore(url).close()  # creates the schema
    connection = sqlite3.connect(sqlite_path(url))
    try:
        (sql,) = connection.execute("select sql from sqlite_schema where name = ?", (table,)).fetchone()
    finally:
        connection.close()
    check = re.search(rf"constraint {constraint} check \((.*?)\)\)?,?\n", sql, re.S)
    assert check is not None, f"no constraint {constraint} on {table}"
    return set(re.findall(r"'([^']*)'", check.group(1)))


def postgres_allowed(url: str, table: str, constraint: str) -> set[str]:
    with psycopg.connect(url) as connection:
        (definition,) = connection.execute(
            "select pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = %s::regclass and conname = %s",
            (f"public.{table}", constraint),
        ).fetchone()
    return set(re.findall(r"'([^']*)'::text", definition))


@pytest.mark.parametrize("constraint", sorted(CONSTRAINTS))
def test_the_sqlite_schema_allows_exactly_the_vocabulary(sqlite_url, constraint):
    table, values = CONSTRAINTS[constraint]
    assert sqlite_allowed(sqlite_url, table, constraint) == set(values)


@pytest.mark.postgres
@pytest.mark.parametrize("constraint", sorted(CONSTRAINTS))
def test_the_postgres_schema_allows_exactly_the_vocabulary(postgres_database, constraint):
    table, values = CONSTRAINTS[constraint]
    assert postgres_allowed(postgres_database, table, constraint) == set(values)


def test_both_schemas_allow_exactly_the_job_types_the_code_records(sqlite_url, postgres_database):
    """The never-recorded 'demo' job type is gone from code and constraints alike."""
    assert sqlite_allowed(sqlite_url, "genome_job_runs", "job_runs_type") == set(vocabulary.JOB_TYPES)
    assert postgres_allowed(postgres_database, "genome_job_runs", "job_runs_type") == set(
        vocabulary.JOB_TYPES
    )
    assert set(vocabulary.WRITE_JOB_TYPES) <= set(vocabulary.JOB_TYPES)


def test_dimension_order_is_the_tracked_order_then_the_rest_alphabetically():
    from genome.vocabulary import dimension_order

    tracked = ("hook_type", "color_mode", "template_category")
    names = ["layout", "template_category", "hook_type", "angle", "hook_type"]
    assert dimension_order(names, tracked) == ["hook_type", "template_category", "angle", "layout"]
    assert dimension_order([], tracked) == []
