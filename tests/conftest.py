"""Shared fixtures: a throwaway PostgreSQL server (or GENOME_TEST_POSTGRES_URL), fresh databases
cloned from a migrated template, and `store`, parametrized over every backend that runs here.

A test that needs Postgres fails (it is not skipped) when the server cannot start.

Tests leave the checkout as they found it: Hypothesis keeps its files in a temporary folder, the
dashboard screenshots go to one unless `--update-screenshots` asks for the README's docs/img/, and
the session fails when `git status --porcelain --ignored` shows anything new (outside CACHES).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from genome.settings import Settings
from genome.store.base import Store
from genome.store.postgres import PostgresStore, migrate
from genome.store.sqlite import SqliteStore
from support.pg_server import PostgresServer

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
ROOT = Path(__file__).resolve().parents[1]
#: what a test run may leave in the checkout: Python's byte code and pytest's own cache (--lf needs it)
CACHES = ("__pycache__/", ".pytest_cache/")
README_IMAGES = "docs/img/"
_HYPOTHESIS_HOME = Path(tempfile.mkdtemp(prefix="genome-hypothesis-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshots",
        action="store_true",
        help=f"write the dashboard screenshots to {README_IMAGES} (the README's images), not a temporary folder",
    )


#: left out of the fast loop (scripts/test.sh --fast) with the `slow` marker: they start processes and
#: kill them, or fuzz; so is every dashboard suite (test_dashboard_*.py: AppTest or a browser)
SLOW_FILES = frozenset(
    {"test_concurrency.py", "test_crash.py", "test_faults.py", "test_fuzz.py", "test_remote_failure.py"}
)
POSTGRES_FIXTURES = frozenset(
    {"postgres_url", "postgres_template", "postgres_database", "empty_postgres_database"}
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` on SLOW_FILES and the dashboard suites; `postgres` on every test that asks for the server, so `-m "not postgres"`
    never starts it."""
    for item in items:
        if item.path.name in SLOW_FILES or item.path.name.startswith("test_dashboard_"):
            item.add_marker(pytest.mark.slow)
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


def pytest_configure(config: pytest.Config) -> None:
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)  # its example database and caches, never ./.hypothesis


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def main_module_kept() -> Iterator[None]:
    """Puts back `__main__` after each test: AppTest leaves the dashboard script there, and a process
    started later with multiprocessing's spawn would run it again (opening ./genome.db)."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/img/ with --update-screenshots, else a temporary folder."""
    if request.config.getoption("--update-screenshots"):
        return ROOT / README_IMAGES
    return tmp_path_factory.mktemp("screenshots")


def _checkout_state() -> dict[str, int] | None:
    """Every changed, new or ignored path in the checkout (outside CACHES) with its modification time,
    or None when this is not a git checkout."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    paths = (entry[3:] for entry in done.stdout.split("\0") if len(entry) > 3)
    kept = (path for path in paths if path != ".venv" and not any(cache in f"/{path}" for cache in CACHES))
    return {path: (ROOT / path).lstat().st_mtime_ns if (ROOT / path).exists() else 0 for path in kept}


@pytest.fixture(scope="session", autouse=True)
def checkout_left_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the session when the tests created, changed or deleted anything in the checkout."""
    before = _checkout_state()
    yield
    after = _checkout_state()
    if before is None or after is None:
        return
    allowed = README_IMAGES if request.config.getoption("--update-screenshots") else None
    changed = sorted(
        path
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path) and not (allowed and path.startswith(allowed))
    )
    assert not changed, (
        f"the checkout changed during the tests (a test wrote there, or files were edited): {changed}"
    )


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
