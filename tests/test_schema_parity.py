"""A fresh SQLite file and a migrated Postgres database have the same tables, columns (types mapped),
primary keys, unique constraints and indexes; the differences that are meant are listed here.

Only on Postgres, by design: roles, grants, row level security policies and the SQL functions
(tests/test_access_control.py, tests/test_migrations.py); schema_migrations (SQLite keeps the number of
its last migration in `pragma user_version`); defaults of now() (SQLite rows get their timestamps from
the store)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import psycopg
import pytest

from genome.settings import Settings
from genome.store.sqlite import SqliteStore, sqlite_path

pytestmark = pytest.mark.postgres

ONLY_IN_POSTGRES = {"schema_migrations", "organization_members"}  # members: who signs in (Supabase users)
# Postgres type -> the SQLite declared type that holds it (dates and timestamps as ISO text, JSON as
# text, booleans 0/1)
TYPES = {
    "text": "text",
    "bigint": "integer",
    "integer": "integer",
    "double precision": "real",
    "boolean": "integer",
    "date": "text",
    "timestamp with time zone": "text",
    "jsonb": "text",
}

POSTGRES_COLUMNS = """
select table_name, column_name, data_type, is_nullable = 'NO' or column_name in (
    select k.column_name from information_schema.key_column_usage k
    join information_schema.table_constraints c using (constraint_schema, constraint_name, table_name)
    where c.constraint_type = 'PRIMARY KEY' and k.table_name = columns.table_name)
from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position
"""
POSTGRES_KEYS = """
select c.table_name, k.column_name from information_schema.table_constraints c
join information_schema.key_column_usage k using (constraint_schema, constraint_name, table_name)
where c.table_schema = 'public' and c.constraint_type = 'PRIMARY KEY'
order by c.table_name, k.ordinal_position
"""
POSTGRES_INDEXES = """
select t.relname, i.relname, x.indisunique, x.indpred is not null, x.indisprimary,
       array(select pg_get_indexdef(x.indexrelid, k, true)
                    || case when x.indoption[k - 1] & 1 = 1 then ' desc' else '' end
             from generate_series(1, x.indnkeyatts) as k),
       exists (select 1 from pg_constraint c where c.conindid = x.indexrelid and c.contype = 'u')
from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
where t.relnamespace = 'public'::regnamespace
"""


def postgres_schema(url: str) -> dict[str, dict]:
    with psycopg.connect(url, autocommit=True) as connection:
        columns, keys, indexes = (
            connection.execute(sql).fetchall() for sql in (POSTGRES_COLUMNS, POSTGRES_KEYS, POSTGRES_INDEXES)
        )
    schema: dict[str, dict] = {
        "columns": {},
        "primary_keys": {},
        "indexes": set(),
        "unique_constraints": set(),
    }
    for table, column, data_type, not_null in columns:
        if table not in ONLY_IN_POSTGRES:
            schema["columns"].setdefault(table, []).append((column, TYPES[data_type], not_null))
    for table, column in keys:
        if table not in ONLY_IN_POSTGRES:
            schema["primary_keys"].setdefault(table, []).append(column)
    for table, name, unique, partial, primary, keys_, constraint in indexes:
        key_columns = tuple(key.lower() for key in keys_)
        if table in ONLY_IN_POSTGRES or primary:
            continue
        if constraint:
            schema["unique_constraints"].add((table, key_columns))
        else:
            schema["indexes"].add((table, name, key_columns, unique, partial))
    return schema


def sqlite_schema(url: str) -> dict[str, dict]:
    SqliteStore(url, Settings()).close()
    schema: dict[str, dict] = {
        "columns": {},
        "primary_keys": {},
        "indexes": set(),
        "unique_constraints": set(),
    }
    with closing(sqlite3.connect(sqlite_path(url))) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select name from sqlite_schema where type = 'table' and name not like 'sqlite%' order by name"
            )
        ]
        for table in tables:
            info = connection.execute(f"pragma table_info({table})").fetchall()
            schema["columns"][table] = [
                (name, kind.lower(), bool(not_null) or pk > 0) for _, name, kind, not_null, _, pk in info
            ]
            schema["primary_keys"][table] = [
                name for *_, name, _, _, _, pk in sorted(info, key=lambda row: row[5]) if pk
            ]
            for _, name, unique, origin, partial in connection.execute(f"pragma index_list({table})"):
                keys = tuple(
                    f"{column} desc" if desc else column
                    for _, _, column, desc, _, key in connection.execute(f"pragma index_xinfo({name})")
                    if key
                )
                if origin == "u":
                    schema["unique_constraints"].add((table, keys))
                elif origin == "c":
                    schema["indexes"].add((table, name, keys, bool(unique), bool(partial)))
    return schema


@pytest.fixture
def both(postgres_database, tmp_path) -> tuple[dict, dict]:
    return postgres_schema(postgres_database), sqlite_schema(f"sqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.parametrize("part", ["columns", "primary_keys", "unique_constraints", "indexes"])
def test_sqlite_and_postgres_have_the_same(both, part):
    postgres, sqlite = both
    assert sqlite[part] == postgres[part]
