"""The database itself refuses an alert name or note that genome/service.py would refuse (security issue
item 3): longer than MAX_NAME_LENGTH / MAX_NOTE_LENGTH, or holding a character genome/text_rules.py
forbids, whoever writes it — a direct UPDATE by the service role on Postgres, a bare sqlite3 connection
on SQLite. The characters tried are every code point of the Basic Multilingual Plane the Python rule
forbids (NUL only where the engine can hold it), so the SQL copies of the rule cannot drift from it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing

import pandas as pd
import psycopg
import pytest

from genome.service import MAX_NAME_LENGTH, MAX_NOTE_LENGTH
from genome.settings import Settings
from genome.store.postgres import PostgresStore
from genome.store.sqlite import SqliteStore, sqlite_path
from genome.text_rules import FORBIDDEN_IN_NOTE, FORBIDDEN_IN_TEXT

NAMES = ("acknowledged_by", "resolved_by")
NOTES = ("ack_note", "resolution_note")
SURROGATES = range(0xD800, 0xE000)


def forbidden(pattern: str, start: int) -> list[str]:
    """Every character `pattern` matches, from code point `start` (the tag characters lie past the BMP)."""
    rule = re.compile(pattern)
    return [chr(c) for c in range(start, 0x110000) if c not in SURROGATES and rule.match(chr(c))]


Write = Callable[[str, str], bool]  # (column, value) -> True when the database stored it


@pytest.fixture
def write(store_url: str) -> Iterator[tuple[Write, int]]:
    """Writes one alert column directly in the database (rolled back), and the first code point the
    engine can hold (Postgres text holds no NUL)."""
    postgres = not store_url.startswith("sqlite")
    store = (PostgresStore if postgres else SqliteStore)(store_url, Settings())
    store.save_brands(pd.DataFrame({"id": ["b1"], "name": ["Brand one"]}))
    store.close()
    insert = (
        "insert into system_alerts (brand_id, alert_type, severity, first_seen_at, last_seen_at)"
        " values ('b1', 'approval_rate', 'warning', '2026-03-01', '2026-03-01')"
    )
    if postgres:
        with psycopg.connect(store_url, autocommit=True) as connection:
            connection.execute(insert.replace("system_alerts", "public.system_alerts"))

            def stored(column: str, value: str) -> bool:
                try:
                    with connection.transaction(force_rollback=True):
                        connection.execute("set local role service_role")
                        connection.execute(f"update public.system_alerts set {column} = %s", (value,))
                    return True
                except psycopg.errors.CheckViolation:
                    return False

            yield stored, 1
        return
    with closing(sqlite3.connect(sqlite_path(store_url))) as connection:
        connection.execute(insert)
        connection.commit()

        def stored(column: str, value: str) -> bool:
            try:
                connection.execute(f"update system_alerts set {column} = ?", (value,))
                return True
            except sqlite3.IntegrityError:
                return False
            finally:
                connection.rollback()

        yield stored, 0


@pytest.mark.parametrize(
    ("columns", "limit"), [(NAMES, MAX_NAME_LENGTH), (NOTES, MAX_NOTE_LENGTH)], ids=["names", "notes"]
)
def test_the_database_limits_are_the_services(write, columns, limit):
    stored, _ = write
    tried = {(column, n): stored(column, "é" * n) for column in columns for n in (limit, limit + 1)}
    assert tried == {(column, n): n == limit for column in columns for n in (limit, limit + 1)}


@pytest.mark.parametrize(
    ("columns", "pattern"), [(NAMES, FORBIDDEN_IN_TEXT), (NOTES, FORBIDDEN_IN_NOTE)], ids=["names", "notes"]
)
def test_the_database_refuses_every_character_text_rules_forbids(write, columns, pattern):
    stored, first = write
    characters = forbidden(pattern, first)
    assert {"\x1b", "\u202e", "\u200b", "\u2028", "\U000e0041"} <= set(characters)
    kept = {column: [c for c in characters if stored(column, f"ops{c}x")] for column in columns}
    assert kept == {column: [] for column in columns}


@pytest.mark.parametrize("value", ["Åsa Nørgaard", "on it 👍", "a\tb", "line one\nline two\r\n"])
def test_the_database_keeps_what_text_rules_allows(write, value):
    stored, _ = write
    multiline = any(c in value for c in "\t\n\r")
    tried = {column: stored(column, value) for column in (*NAMES, *NOTES)}
    assert tried == {**dict.fromkeys(NAMES, not multiline), **dict.fromkeys(NOTES, True)}
