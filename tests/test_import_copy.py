"""Postgres imports through COPY (genome/store/pg_copy.py -> genome_import_staging -> genome_import_*):
the same stored rows as the rpc (jsonb) form of the same functions, awkward values included; the
per-statement checks that replaced the per-row foreign keys (migration 0004)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psycopg
import pytest

from genome.errors import StoreError
from genome.store import payloads
from genome.store.postgres import PostgresStore
from tests.conftest import _admin, database_url

pytestmark = pytest.mark.postgres

# awkward on purpose: a duplicate ad (the last wins), a tag dict, non-ASCII and JSON-special text,
# a missing score and status, a zoned and a text timestamp
ADS = pd.DataFrame(
    {
        "ad_id": ["a1", 'ä2 "q" \\ ☃', "a3", "a1"],
        "brand_id": ["b1", "b1", "b😀", "b1"],
        "element_tags": [
            json.dumps({"hook_type": "question"}),
            {"hook_type": "état", "canvas_size": 1080, "empty": ""},
            json.dumps({"color_mode": "dark\ttab"}),
            json.dumps({"hook_type": "statement"}),
        ],
        "pre_gen_score": [0.5, np.nan, 0.25, 0.75],
        "final_status": ["approved", None, "rejected", "approved"],
        "is_imported": [False, True, False, True],
        "created_at": [
            pd.Timestamp("2024-03-01 09:30:00.123456"),
            pd.Timestamp("2024-03-02 08:00", tz="Europe/Paris"),
            "2024-03-03T00:00:00Z",
            pd.Timestamp("2024-03-04"),
        ],
    }
)
# a duplicate (ad, date) (the last wins), counts given as floats, missing money and counts (0), a
# blank objective (none), dates as text and as timestamps, a non-finite number (null -> 0)
PERFORMANCE = pd.DataFrame(
    {
        "ad_id": ["a1", "a1", 'ä2 "q" \\ ☃', "a3", "a1"],
        "date": ["2024-03-02", "2024-03-03", "2024-03-03", "2024-03-04", "2024-03-02"],
        "impressions": [1000.0, 500.0, np.nan, 10.0, 1200.0],
        "clicks": [20.0, 5.0, 0.0, 1.0, 30.0],
        "conversions": [2.0, 0.0, 0.0, np.nan, 3.0],
        "spend": [10.1, 0.1, np.nan, np.inf, 12.3],
        "revenue": [30.7, 0.2, 1e-300, 0.0, 40.9],
        "campaign_objective": ["SALES", "  ", None, "TRAFFIC", "LEADS"],
    }
)
STORED = {
    "generated_ads": "select id, brand_id, element_tags, pre_gen_score, final_status, is_imported, created_at"
    " from public.generated_ads order by id",
    "generated_ad_elements": "select * from public.generated_ad_elements order by 1, 2, 3, 4",
    "ad_performance": "select * from public.ad_performance order by 1, 2",
    "ad_performance_totals": "select * from public.ad_performance_totals order by 1",
    "brands": "select id, name from public.brands order by id",
}


def stored(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as connection:
        return {name: connection.execute(sql).fetchall() for name, sql in STORED.items()}


def rpc(url: str, function: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> dict:
    with psycopg.connect(url, autocommit=True) as connection:
        sql = f"select public.{function}(%s::jsonb)"
        return connection.execute(sql, (payloads.to_json_records(frame, columns),)).fetchone()[0]


@pytest.fixture
def second_database(postgres_url: str, postgres_template: str) -> Iterator[str]:
    """Another fresh migrated database, for the rpc form."""
    name = f"genome_rpc_{uuid.uuid4().hex[:12]}"
    _admin(postgres_url, f'create database "{name}" template "{postgres_template}"')
    try:
        yield database_url(postgres_url, name)
    finally:
        _admin(postgres_url, f'drop database if exists "{name}" with (force)')


def counts(summary: dict) -> tuple[int, int, int]:
    return summary["inserted"], summary["updated"], summary["unchanged"]


def test_copy_and_rpc_store_the_same_rows(postgres_database, second_database):
    store = PostgresStore(postgres_database)
    try:
        assert counts(store.import_ads(ADS)) == (3, 0, 0)
        assert counts(store.import_performance(PERFORMANCE)) == (4, 0, 0)
    finally:
        store.close()
    assert counts(rpc(second_database, "genome_import_ads", ADS, payloads.AD_PAYLOAD)) == (3, 0, 0)
    rows = rpc(second_database, "genome_import_performance", PERFORMANCE, payloads.PERFORMANCE_PAYLOAD)
    assert counts(rows) == (4, 0, 0)
    copied, sent = stored(postgres_database), stored(second_database)
    assert copied == sent
    performance = {(row[0], str(row[1])): row[2:] for row in copied["ad_performance"]}
    assert performance["a1", "2024-03-02"] == (1200, 30, 3, 12.3, 40.9, "LEADS")
    assert performance["a3", "2024-03-04"] == (10, 1, 0, 0.0, 0.0, "TRAFFIC")
    assert performance['ä2 "q" \\ ☃', "2024-03-03"][:5] == (0, 0, 0, 0.0, 1e-300)
    assert performance["a1", "2024-03-03"][5] is None
    assert [row[:2] for row in copied["brands"]] == [("b1", "b1"), ("b😀", "b😀")]


def test_a_second_copy_import_of_the_same_rows_changes_nothing(postgres_database):
    store = PostgresStore(postgres_database)
    try:
        store.import_ads(ADS)
        store.import_performance(PERFORMANCE)
        before = stored(postgres_database)
        assert counts(store.import_ads(ADS)) == (0, 0, 3)
        assert counts(store.import_performance(PERFORMANCE)) == (0, 0, 4)
        changed = PERFORMANCE.assign(clicks=[20.0, 6.0, 0.0, 1.0, 30.0])
        assert counts(store.import_performance(changed)) == (0, 1, 3)
    finally:
        store.close()
    assert stored(postgres_database)["ad_performance_totals"] != before["ad_performance_totals"]


def test_rows_for_unknown_ads_are_refused_naming_them_and_nothing_is_written(postgres_database):
    store = PostgresStore(postgres_database)
    try:
        store.import_ads(ADS)
        unknown = PERFORMANCE.assign(ad_id=["a1", "ghost-2", "a1", "ghost-1", "a1"])
        with pytest.raises(StoreError) as refused:
            store.import_performance(unknown)
    finally:
        store.close()
    assert refused.value.code == "23503"
    assert "'ghost-1', 'ghost-2'" in str(refused.value)
    assert stored(postgres_database)["ad_performance"] == []


def test_direct_writes_are_checked_and_deleting_ads_deletes_their_rows(postgres_database):
    store = PostgresStore(postgres_database)
    try:
        store.import_ads(ADS)
        store.import_performance(PERFORMANCE)
    finally:
        store.close()
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        for sql in (
            "insert into public.ad_performance (generated_ad_id, date) values ('nope', '2024-01-01')",
            "update public.ad_performance set generated_ad_id = 'nope' where generated_ad_id = 'a3'",
            "insert into public.generated_ad_elements values ('b1', 'hook_type', 'x', 'nope')",
        ):
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match="'nope'"):
                connection.execute(sql)
        connection.execute("delete from public.generated_ads where id = 'a1'")
        left = stored(postgres_database)
        assert {row[0] for row in left["ad_performance"]} == {'ä2 "q" \\ ☃', "a3"}
        assert {row[3] for row in left["generated_ad_elements"]} == {'ä2 "q" \\ ☃', "a3"}
        connection.execute("truncate public.generated_ads cascade")
    left = stored(postgres_database)
    assert (left["ad_performance"], left["generated_ad_elements"]) == ([], [])
