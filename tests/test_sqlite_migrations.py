"""The SQLite file's numbered migrations (genome/migrations/sqlite): a new file gets every one, an existing
file gets the ones it lacks on open, and files the migrations did not make are refused by name.

Files made by development versions before the numbered migrations (`pragma user_version` 0-3, kept up by
their own upgrade chain) are refused rather than converted: nothing made by them was deployed."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

import pandas as pd
import pytest

from genome.errors import StoreError
from genome.settings import Settings
from genome.store import migrations, sqlite
from genome.store.sqlite import APPLICATION_ID, SqliteStore, sqlite_path


def pragmas(url: str) -> tuple[int, int]:
    with closing(sqlite3.connect(sqlite_path(url))) as connection:
        return (
            connection.execute("pragma user_version").fetchone()[0],
            connection.execute("pragma application_id").fetchone()[0],
        )


def test_a_new_file_gets_every_numbered_migration(sqlite_url):
    SqliteStore(sqlite_url, Settings()).close()
    last = migrations.numbered(migrations.folder("sqlite"))[-1]
    assert last.name == sqlite.MIGRATIONS[-1].name
    assert pragmas(sqlite_url) == (last.number, APPLICATION_ID)


@pytest.mark.parametrize("user_version", [0, 1, 2, 3])
def test_a_file_of_a_development_version_before_the_migrations_is_refused_by_name(sqlite_url, user_version):
    SqliteStore(sqlite_url, Settings()).close()
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:  # as those versions left it
        connection.execute("pragma application_id = 0")
        connection.execute(f"pragma user_version = {user_version}")
    with pytest.raises(StoreError) as refused:
        SqliteStore(sqlite_url, Settings())
    assert sqlite_path(sqlite_url) in str(refused.value)
    assert "development version" in str(refused.value) and "new workspace" in str(refused.value)


def test_a_file_of_a_newer_version_is_refused(sqlite_url):
    SqliteStore(sqlite_url, Settings()).close()
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        connection.execute("pragma user_version = 99")
    with pytest.raises(StoreError, match="newer version"):
        SqliteStore(sqlite_url, Settings())


LAST = sqlite.MIGRATIONS[-1].number  # the number of the newest numbered file
NEXT = LAST + 1


def later_migration(monkeypatch: pytest.MonkeyPatch) -> migrations.Migration:
    """A numbered file after the newest one, as the next SQL change would add one."""
    added = migrations.Migration(
        f"{NEXT:04d}_note.sql",
        f"{NEXT:04d}_note",
        NEXT,
        "-- a note per brand\nalter table brands add column note text;\ncreate index brands_note on brands (note);\n",
    )
    monkeypatch.setattr(sqlite, "MIGRATIONS", [*sqlite.MIGRATIONS, added])
    return added


def test_an_existing_file_gets_a_later_migration_on_open_and_keeps_its_rows(sqlite_url, monkeypatch):
    store = SqliteStore(sqlite_url, Settings())
    store.save_brands(pd.DataFrame({"id": ["b1"], "name": ["Brand one"]}))
    store.close()
    later_migration(monkeypatch)
    reopened = SqliteStore(sqlite_url, Settings())
    try:
        assert reopened.brands()["name"].tolist() == ["Brand one"]
    finally:
        reopened.close()
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        columns = [row[1] for row in connection.execute("pragma table_info(brands)")]
    assert columns[-1] == "note" and pragmas(sqlite_url) == (NEXT, APPLICATION_ID)


def test_a_failing_migration_leaves_the_file_as_it_was(sqlite_url, monkeypatch):
    SqliteStore(sqlite_url, Settings()).close()
    broken = migrations.Migration(
        f"{NEXT:04d}_broken.sql",
        f"{NEXT:04d}_broken",
        NEXT,
        "alter table brands add column x text;\nnonsense;\n",
    )
    monkeypatch.setattr(sqlite, "MIGRATIONS", [*sqlite.MIGRATIONS, broken])
    with pytest.raises(StoreError):
        SqliteStore(sqlite_url, Settings())
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        columns = [row[1] for row in connection.execute("pragma table_info(brands)")]
    assert "x" not in columns and pragmas(sqlite_url) == (LAST, APPLICATION_ID)


def test_a_read_only_file_opens_when_up_to_date_and_is_refused_when_it_lacks_a_migration(
    sqlite_url, monkeypatch
):
    SqliteStore(sqlite_url, Settings()).close()
    monkeypatch.setattr(
        os, "access", lambda *_args, **_kwargs: False
    )  # this user may not write it (even root)
    store = SqliteStore(sqlite_url, Settings())
    try:
        assert store.read_only and store.brands().empty
    finally:
        store.close()
    later_migration(monkeypatch)
    with pytest.raises(StoreError, match="needs a one-time upgrade, which needs write access"):
        SqliteStore(sqlite_url, Settings())
    assert pragmas(sqlite_url) == (LAST, APPLICATION_ID)
