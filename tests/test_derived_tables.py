"""The derived tables on a real server: after any sequence of imports, ad_performance_totals and
generated_ad_elements hold exactly what the raw rows define, and the live reads that use them
(genome_ad_aggregates, paged or whole, and genome_ad_element_groups) answer what a reference
computed from the raw rows alone answers (the bodies the functions had before the derived tables).

Money is drawn in quarters, so every sum is exact whatever the order; bit-identical sums of inexact
amounts are tested in tests/test_money_sums.py."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genome.settings import Settings
from genome.store.postgres import migrate

pytestmark = pytest.mark.postgres

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
# the ad aggregates from the daily rows alone (genome_ad_aggregates before the totals existed)
AGGREGATES_FROM_DAYS = """
with ads as (
    select a.* from public.generated_ads a
    where (%(brands)s::text[] is null or a.brand_id = any (%(brands)s::text[]))
      and (%(as_of)s::date is null or (a.created_at at time zone 'UTC')::date <= %(as_of)s::date)
), daily as (
    select p.generated_ad_id, sum(p.impressions)::float8 as impressions, sum(p.clicks)::float8 as clicks,
           sum(p.conversions)::float8 as conversions, sum(p.spend) as spend, sum(p.revenue) as revenue,
           min(p.date) as first_date, max(p.date) as last_date,
           (array_agg(p.campaign_objective order by p.date desc)
               filter (where coalesce(p.campaign_objective, '') <> ''))[1] as campaign_objective
    from public.ad_performance p join ads on ads.id = p.generated_ad_id
    where %(as_of)s::date is null or p.date <= %(as_of)s::date
    group by p.generated_ad_id
)
select ads.id, ads.brand_id, ads.is_imported, ads.created_at, ads.final_status, ads.pre_gen_score,
       coalesce(daily.impressions, 0), coalesce(daily.clicks, 0), coalesce(daily.conversions, 0),
       coalesce(daily.spend, 0), coalesce(daily.revenue, 0), daily.first_date, daily.last_date,
       coalesce(daily.campaign_objective, '')
from ads left join daily on daily.generated_ad_id = ads.id
order by ads.id
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


@pytest.mark.parametrize(
    "function",
    [
        "genome_ad_aggregates(text[], date, text, integer)",
        "genome_ad_element_groups(text[], text[], text, text, text, integer)",
        "genome_import_ads(jsonb, timestamptz)",
        "genome_import_performance(jsonb, timestamptz)",
    ],
)
def test_the_functions_of_the_derived_tables_are_for_the_service_role_only(postgres_database, function):
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
AGGREGATE_CASES = [(brands, as_of) for brands in BRAND_FILTERS for as_of in AS_OFS]
PAGE_CASES = [
    (brands, as_of, after, limit)
    for brands in BRAND_FILTERS[:2]
    for as_of in (None, DAYS[1], DAYS[4])
    for after in AFTER_ADS
    for limit in (2, None)
]
GROUP_CASES = [(brands, names) for brands in BRAND_FILTERS for names in ELEMENT_FILTERS]


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
def service(postgres_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a database of its own, migrated (one for all the examples)."""
    name = f"genome_derived_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        try:
            admin.execute(f'create database "{name}"')
            url = database(postgres_url, name)
            migrate(url, settings=SETTINGS)
            with psycopg.connect(url, autocommit=True) as connection:
                yield connection
        finally:
            admin.execute(f'drop database if exists "{name}" with (force)')


def live_reads(connection: psycopg.Connection) -> dict[str, list[list[tuple]]]:
    """Every case of the live read functions, as service_role, in one read-only transaction."""
    with connection.transaction(force_rollback=True):
        connection.execute("set local role service_role")
        return {
            "aggregates": [
                rows(connection, "select * from public.genome_ad_aggregates(%s, %s)", case)
                for case in AGGREGATE_CASES
            ],
            "aggregates_page": [
                rows(connection, "select * from public.genome_ad_aggregates(%s, %s, %s, %s)", case)
                for case in PAGE_CASES
            ],
            "element_groups": [
                [
                    (brand, name, value, ads)
                    for brand, name, value, ads in rows(
                        connection, "select * from public.genome_ad_element_groups(%s, %s)", case
                    )
                ]
                for case in GROUP_CASES
            ],
        }


def reference_reads(connection: psycopg.Connection) -> dict[str, list[list[tuple]]]:
    """The same cases computed from the raw rows alone: daily rows summed, tags exploded."""

    def aggregates(brands: list[str] | None, as_of: date | None) -> list[tuple]:
        return rows(connection, AGGREGATES_FROM_DAYS, {"brands": brands, "as_of": as_of})  # type: ignore[arg-type]

    def page(
        brands: list[str] | None, as_of: date | None, after: str | None, limit: int | None
    ) -> list[tuple]:
        later = [row for row in aggregates(brands, as_of) if after is None or row[0] > after]
        return later if limit is None else later[:limit]

    tags = rows(connection, ELEMENTS_FROM_TAGS)

    def groups(brands: list[str] | None, names: list[str] | None) -> list[tuple]:
        ads: dict[tuple, list[str]] = defaultdict(list)
        for brand, name, value, ad_id in tags:
            if (brands is None or brand in brands) and (names is None or name in names):
                ads[(brand, name, value)].append(ad_id)
        return [(*key, sorted(ad_ids)) for key, ad_ids in sorted(ads.items())]

    with connection.transaction(force_rollback=True):
        connection.execute("set local timezone = 'UTC'")
        return {
            "aggregates": [aggregates(*case) for case in AGGREGATE_CASES],
            "aggregates_page": [page(*case) for case in PAGE_CASES],
            "element_groups": [groups(*case) for case in GROUP_CASES],
        }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=every_ad, steps=imports)
def test_after_any_imports_the_derived_tables_and_reads_equal_the_raw_rows(service, first, steps):
    service.execute("truncate public.brands, public.genome_job_runs cascade")
    for function, payload in [("genome_import_ads", list(first)), *steps]:
        rpc(service, function, payload)
    assert rows(service, TOTALS) == rows(service, TOTALS_FROM_DAYS)
    assert rows(service, ELEMENTS) == rows(service, ELEMENTS_FROM_TAGS)
    expected, got = reference_reads(service), live_reads(service)
    cases = {"aggregates": AGGREGATE_CASES, "aggregates_page": PAGE_CASES, "element_groups": GROUP_CASES}
    differing = {
        name: [
            case
            for case, want, have in zip(cases[name], expected[name], got[name], strict=True)
            if want != have
        ]
        for name in cases
    }
    assert {name: found for name, found in differing.items() if found} == {}
