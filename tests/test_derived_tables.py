"""0007's derived tables on a real server: a database filled under 0001-0006 gets exact tables when
0007 is applied (and again when it runs twice); after any sequence of imports, the imports' counts
and the rewritten reads equal what 0002/0004's bodies give on a twin database without 0007.

Money is drawn in quarters, so every sum is exact whatever order a plan adds the rows in (both
bodies add floats in plan order; the tables change where, not what, is summed)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genome.settings import Settings
from genome.store.postgres import MIGRATIONS_DIR, migrate

pytestmark = pytest.mark.postgres

DERIVED = MIGRATIONS_DIR / "0007_derived.sql"
EARLIER = sorted(
    path for path in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql") if path.name < DERIVED.name
)
SETTINGS = Settings()

TOTALS = "select * from public.ad_performance_totals order by generated_ad_id"
ELEMENTS = "select * from public.generated_ad_elements order by generated_ad_id, element_name"
# the same, recomputed from the raw tables another way (objective by a seek, not an array)
TOTALS_FROM_DAYS = """
select p.generated_ad_id, sum(p.impressions)::bigint, sum(p.clicks)::bigint, sum(p.conversions)::bigint,
       sum(p.spend), sum(p.revenue), min(p.date), max(p.date),
       coalesce((select o.campaign_objective from public.ad_performance o
                 where o.generated_ad_id = p.generated_ad_id and coalesce(o.campaign_objective, '') <> ''
                 order by o.date desc limit 1), '')
from public.ad_performance p group by p.generated_ad_id order by 1
"""
ELEMENTS_FROM_TAGS = """
select a.brand_id, tag.key, tag.value #>> '{}', a.id
from public.generated_ads a, jsonb_each(a.element_tags) as tag
where jsonb_typeof(tag.value) in ('string', 'number', 'boolean') and tag.value #>> '{}' <> ''
order by a.id, tag.key
"""


def database(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def rpc(connection: psycopg.Connection, function: str, payload: list[dict]) -> dict:
    """An import as the backends make it: one jsonb argument, as service_role; the job id left out."""
    with connection.transaction():
        connection.execute("set local role service_role")
        result = connection.execute(f"select public.{function}(%s::jsonb)", (json.dumps(payload),)).fetchone()
    return {key: value for key, value in result[0].items() if key != "job_id"}


def rows(connection: psycopg.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    return connection.execute(sql, params).fetchall()


def ad(ad_id: str, brand_id: str, tags: str, created_at: str = "2024-01-01T00:00:00Z") -> dict:
    return {"ad_id": ad_id, "brand_id": brand_id, "element_tags": tags, "created_at": created_at}


def day(ad_id: str, on: int, impressions: int, spend: float, objective: str | None) -> dict:
    return {
        "ad_id": ad_id,
        "date": (date(2024, 1, 1) + timedelta(on)).isoformat(),
        "impressions": impressions,
        "clicks": impressions // 10,
        "conversions": impressions // 100,
        "spend": spend,
        "revenue": 2 * spend,
        "campaign_objective": objective,
    }


# --- the backfill ------------------------------------------------------------------------------------
BEFORE_0007 = [
    (
        "genome_import_ads",
        [ad("a1", "b1", '{"hook": "question", "size": 1080, "ratio": 1.50, "flag": true}')],
    ),
    (
        "genome_import_ads",
        [ad("a2", "b1", '{"hook": "", "none": null, "list": [1], "obj": {"k": 1}, "x": " "}')],
    ),
    ("genome_import_ads", [ad("a3", "b2", "{}"), ad("a4", "b2", '{"hook": "story"}')]),
    ("genome_import_ads", [ad("a4", "b3", '{"hook": "offer", "flag": false}')]),  # re-tagged, other brand
    (
        "genome_import_performance",
        [
            day("a1", 1, 100, 1.25, "SALES"),
            day("a1", 2, 200, 2.5, "TRAFFIC"),
            day("a1", 3, 300, 0.75, None),  # latest day without an objective
            day("a2", 1, 50, 0.5, " "),
            day("a2", 2, 60, 0.25, ""),
            day("a4", 2, 10, 0.0, "AWARENESS"),
        ],
    ),
    (
        "genome_import_performance",
        [day("a1", 2, 400, 5.0, None), day("a4", 3, 20, 1.0, "SALES")],
    ),  # overwrites
]


@pytest.fixture
def before_0007(empty_postgres_database: str, tmp_path: Path) -> tuple[str, Path]:
    """A database migrated to 0006 and filled through 0002's imports; the directory of its migrations."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    for path in EARLIER:
        shutil.copy(path, directory)
    assert migrate(empty_postgres_database, directory, SETTINGS) == [path.name for path in EARLIER]
    with psycopg.connect(empty_postgres_database, autocommit=True) as connection:
        for function, payload in BEFORE_0007:
            rpc(connection, function, payload)
    return empty_postgres_database, directory


def test_0007_fills_both_tables_from_the_data_already_there(before_0007):
    url, directory = before_0007
    shutil.copy(DERIVED, directory)
    assert migrate(url, directory, SETTINGS) == [DERIVED.name]
    with psycopg.connect(url, autocommit=True) as connection:
        totals, elements = rows(connection, TOTALS), rows(connection, ELEMENTS)
        assert totals == rows(connection, TOTALS_FROM_DAYS)
        assert elements == rows(connection, ELEMENTS_FROM_TAGS)
    first, second = date(2024, 1, 2), date(2024, 1, 4)
    assert totals == [
        ("a1", 800, 80, 8, 7.0, 14.0, first, second, "SALES"),  # day 2's TRAFFIC overwritten by none
        ("a2", 110, 11, 0, 0.75, 1.5, first, date(2024, 1, 3), ""),  # imports store " " and "" as null
        ("a4", 30, 3, 0, 1.0, 2.0, date(2024, 1, 3), second, "SALES"),
    ]
    assert elements == [
        ("b1", "flag", "true", "a1"),
        ("b1", "hook", "question", "a1"),
        ("b1", "ratio", "1.50", "a1"),
        ("b1", "size", "1080", "a1"),
        ("b1", "x", " ", "a2"),
        ("b3", "flag", "false", "a4"),
        ("b3", "hook", "offer", "a4"),
    ]


def test_0007_run_twice_leaves_the_same_tables(before_0007):
    url, directory = before_0007
    shutil.copy(DERIVED, directory)
    migrate(url, directory, SETTINGS)
    with psycopg.connect(url, autocommit=True) as connection:
        once = rows(connection, TOTALS), rows(connection, ELEMENTS)
        connection.execute(DERIVED.read_text())
        assert (rows(connection, TOTALS), rows(connection, ELEMENTS)) == once
    assert migrate(url, directory, SETTINGS) == []


@pytest.mark.parametrize(
    "function",
    [
        "genome_ad_aggregates(text[], date)",
        "genome_ad_aggregates_page(text[], date, text, integer)",
        "genome_ad_elements(text[], text[])",
        "genome_ad_elements_page(text[], text[], text, text, integer)",
        "genome_import_ads(jsonb, timestamptz)",
        "genome_import_performance(jsonb, timestamptz)",
    ],
)
def test_replaced_functions_keep_their_security(postgres_database, function):
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        may = rows(
            connection,
            "select role, has_function_privilege(role, %s, 'execute')"
            " from unnest(array['public', 'anon', 'authenticated', 'service_role']) as role",
            (f"public.{function}",),
        )
        definer, config = connection.execute(
            "select prosecdef, proconfig from pg_proc where oid = %s::regprocedure", (f"public.{function}",)
        ).fetchone()
    assert dict(may) == {"public": False, "anon": False, "authenticated": False, "service_role": True}
    assert (definer, 'search_path=""' in config) == (False, True)


# --- after any imports, the reads of 0002/0004 --------------------------------------------------------
AD_IDS = tuple(f"a{i}" for i in range(7))
BRANDS = ("b1", "b2", "b3")
DAYS = tuple(date(2024, 1, 1) + timedelta(i) for i in range(6))
AS_OFS = (None, date(2023, 12, 31), *DAYS, date(2024, 1, 7))
BRAND_FILTERS = (None, ["b1"], ["b2", "b3"], [])
ELEMENT_FILTERS = (None, ["hook", "size"], ["flag"], [])
AFTER_ADS = (None, "a2", "a2x", "a6")
AFTER_NAMES = (None, "flag", "hook", "zz")
READS = {
    "aggregates": (
        "select * from public.genome_ad_aggregates(%s, %s)",
        [(brands, as_of) for brands in BRAND_FILTERS for as_of in AS_OFS],
    ),
    "aggregates_page": (
        "select * from public.genome_ad_aggregates_page(%s, %s, %s, %s)",
        [
            (brands, as_of, after, limit)
            for brands in BRAND_FILTERS[:2]
            for as_of in (None, DAYS[1], DAYS[4])
            for after in AFTER_ADS
            for limit in (2, None)
        ],
    ),
    "elements": (
        "select * from public.genome_ad_elements(%s, %s)",
        [(brands, names) for brands in BRAND_FILTERS for names in ELEMENT_FILTERS],
    ),
    "elements_page": (
        "select * from public.genome_ad_elements_page(%s, %s, %s, %s, %s)",
        [
            (brands, names, after, after_name, 3)
            for brands in (None, ["b2", "b3"])
            for names in ELEMENT_FILTERS[:2]
            for after in AFTER_ADS
            for after_name in AFTER_NAMES
        ],
    ),
}

tag_values = st.sampled_from(
    ['"question"', '"story"', '""', '" "', "1080", "1.50", "true", "false", "null", "[1]"]
)
tags = st.dictionaries(st.sampled_from(["hook", "size", "flag", "misc"]), tag_values, max_size=4).map(
    lambda drawn: "{" + ", ".join(f'"{name}": {value}' for name, value in drawn.items()) + "}"
)
ads = st.builds(
    ad,
    st.sampled_from(AD_IDS),
    st.sampled_from(BRANDS),
    tags,
    st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-03T23:30:00Z", "2024-01-05T12:00:00+09:00"]),
)
days = st.builds(
    day,
    st.sampled_from(AD_IDS),
    st.integers(0, len(DAYS) - 1),
    st.integers(0, 1000),
    st.integers(0, 400).map(lambda quarters: quarters / 4),
    st.sampled_from(["SALES", "TRAFFIC", None, "", "  "]),
)
every_ad = st.tuples(*(ads.map(lambda drawn, ad_id=ad_id: {**drawn, "ad_id": ad_id}) for ad_id in AD_IDS))
imports = st.lists(
    st.one_of(
        st.tuples(st.just("genome_import_ads"), st.lists(ads, min_size=1, max_size=5)),
        st.tuples(st.just("genome_import_performance"), st.lists(days, min_size=1, max_size=12)),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def twins(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    """Autocommit connections to two databases: one migrated to 0006, one through 0007."""
    directory = tmp_path_factory.mktemp("migrations")
    for path in EARLIER:
        shutil.copy(path, directory)
    names = [f"genome_twin_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        try:
            for name in names:
                admin.execute(f'create database "{name}"')
            original_url, derived_url = (database(postgres_url, name) for name in names)
            migrate(original_url, directory, SETTINGS)
            migrate(derived_url, MIGRATIONS_DIR, SETTINGS)
            with (
                psycopg.connect(original_url, autocommit=True) as original,
                psycopg.connect(derived_url, autocommit=True) as derived,
            ):
                yield original, derived
        finally:
            for name in names:
                admin.execute(f'drop database if exists "{name}" with (force)')


def read_all(connection: psycopg.Connection) -> dict[str, list[list[tuple]]]:
    """Every read of READS, as service_role, in one read-only transaction."""
    with connection.transaction(force_rollback=True):
        connection.execute("set local role service_role")
        return {name: [rows(connection, sql, case) for case in cases] for name, (sql, cases) in READS.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=every_ad, steps=imports)
def test_imports_and_reads_equal_those_of_0002_and_0004(twins, first, steps):
    original, derived = twins
    for connection in twins:
        connection.execute("truncate public.brands, public.genome_job_runs cascade")
    for function, payload in [("genome_import_ads", list(first)), *steps]:
        assert rpc(derived, function, payload) == rpc(original, function, payload)
    assert rows(derived, TOTALS) == rows(derived, TOTALS_FROM_DAYS)
    assert rows(derived, ELEMENTS) == rows(derived, ELEMENTS_FROM_TAGS)
    expected, got = read_all(original), read_all(derived)
    differing = {
        name: [
            case for case, want, have in zip(cases, expected[name], got[name], strict=True) if want != have
        ]
        for name, (_, cases) in READS.items()
    }
    assert {name: cases for name, cases in differing.items() if cases} == {}
