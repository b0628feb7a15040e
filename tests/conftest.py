"""Shared fixtures: a throwaway PostgreSQL server (or GENOME_TEST_POSTGRES_URL), fresh databases
cloned from a migrated template, and `store`, parametrized over every backend that runs here.

A test that needs Postgres fails (it is not skipped) when the server cannot start.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from genome.settings import Settings
from genome.store.base import Store
from genome.store.postgres import PostgresStore, migrate
from genome.store.sqlite import SqliteStore
from support.pg_server import PostgresServer

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An admin URL to a Postgres server: GENOME_TEST_POSTGRES_URL, else a throwaway PostgreSQL 15."""
    given = os.environ.get("GENOME_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    server = PostgresServer()
    try:
        url = server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield url
    finally:
        server.stop()


def database_url(server_url: str, name: str) -> str:
    """`server_url` pointing at database `name`."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def _admin(server_url: str, sql: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """Name of a database with every migration applied, to clone per test."""
    name = f"genome_template_{uuid.uuid4().hex[:8]}"
    _admin(postgres_url, f'create database "{name}"')
    try:
        migrate(database_url(postgres_url, name))
        yield name
    finally:
        _admin(postgres_url, f'drop database if exists "{name}" with (force)')


@pytest.fixture
def postgres_database(postgres_url: str, postgres_template: str) -> Iterator[str]:
    """URL of a fresh, migrated database of its own (dropped afterwards)."""
    name = f"genome_test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_url, f'create database "{name}" template "{postgres_template}"')
    try:
        yield database_url(postgres_url, name)
    finally:
        _admin(postgres_url, f'drop database if exists "{name}" with (force)')


@pytest.fixture
def empty_postgres_database(postgres_url: str) -> Iterator[str]:
    """URL of a fresh database with no migrations applied."""
    name = f"genome_empty_{uuid.uuid4().hex[:12]}"
    _admin(postgres_url, f'create database "{name}"')
    try:
        yield database_url(postgres_url, name)
    finally:
        _admin(postgres_url, f'drop database if exists "{name}" with (force)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'genome.db'}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> str:
    """URL of a fresh database of each backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh, empty store of each backend."""
    opened = (
        SqliteStore(store_url, Settings())
        if store_url.startswith("sqlite")
        else PostgresStore(store_url, Settings())
    )
    try:
        yield opened
    finally:
        opened.close()
