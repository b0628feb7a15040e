"""genome_apply_refresh has one body for its two callers: the postgres backend stages the rewards by a
binary COPY into a temp table of public.genome_reward_row, the supabase backend sends them as JSON,
which the function loads into the same table. Both store the same rows, and the table never outlives
the call, whether it succeeds, fails or runs twice in one transaction."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from genome.jobs import RefreshOutputs
from genome.store import supabase_requests
from genome.store.common import JobRun, utc_now
from genome.store.postgres import PostgresStore
from tests.test_store_contract import AS_OF, loaded, refresh_violating_a_check, simple_refresh

pytestmark = pytest.mark.postgres

STORED_REWARDS = (
    "select generated_ad_id, brand_id, reward_score, reward_components, campaign_objective, maturity,"
    " impressions_at_reward, matured_at from public.creative_element_rewards order by generated_ad_id"
)
STORED_SCORES = (
    "select brand_id, element_name, element_value, alpha, beta, prior_alpha, prior_beta, prior_source,"
    " total_observations, mean_reward from public.creative_element_scores order by 1, 2, 3"
)
JSON_REFRESH = "select public.genome_apply_refresh(%s::text[], %s::date, %s::jsonb, %s::jsonb, %s::jsonb, %s)"
STAGED_TABLES = "select count(*) from pg_class where relname = 'genome_staged_rewards'"


@pytest.fixture
def refreshed(postgres_database: str) -> tuple[str, RefreshOutputs]:
    """A workspace refreshed through PostgresStore (the COPY path), and the outputs it wrote."""
    written: list[RefreshOutputs] = []

    def compute(inputs):
        written.append(simple_refresh(inputs))
        return written[-1]

    store = loaded(PostgresStore(postgres_database))
    try:
        store.refresh(None, AS_OF, compute)
    finally:
        store.close()
    return postgres_database, written[0]


def json_arguments(outputs: RefreshOutputs) -> tuple:
    """genome_apply_refresh's arguments as the supabase backend sends them (rewards as JSON)."""
    run = JobRun("refresh", utc_now(), ("b1", "b2"), AS_OF)
    args = supabase_requests.apply_refresh_call(run, replace(outputs, summary={})).args
    return tuple(
        psycopg.types.json.Jsonb(args[name]) if name in ("p_rewards", "p_scores", "p_summary") else args[name]
        for name in ("p_brand_ids", "p_as_of", "p_rewards", "p_scores", "p_summary", "p_started_at")
    )


def test_the_copied_and_the_json_rewards_are_stored_alike(refreshed):
    url, outputs = refreshed
    with psycopg.connect(url, autocommit=True) as connection:
        by_copy = connection.execute(STORED_REWARDS).fetchall(), connection.execute(STORED_SCORES).fetchall()
        assert len(by_copy[0]) == 2 and by_copy[0][0][3]["ctr"] == 0.015
        connection.execute("delete from public.creative_element_rewards")
        connection.execute("delete from public.creative_element_scores")
        summary = connection.execute(JSON_REFRESH, json_arguments(outputs)).fetchone()[0]
        by_json = connection.execute(STORED_REWARDS).fetchall(), connection.execute(STORED_SCORES).fetchall()
    assert (summary["rewards_new"], summary["scores"]) == (2, 3)
    assert by_json == by_copy


def test_the_json_form_runs_twice_in_one_transaction_and_leaves_no_staging_table(refreshed):
    url, outputs = refreshed
    with psycopg.connect(url) as connection:
        first = connection.execute(JSON_REFRESH, json_arguments(outputs)).fetchone()[0]
        second = connection.execute(JSON_REFRESH, json_arguments(outputs)).fetchone()[0]
        assert connection.execute(STAGED_TABLES).fetchone() == (0,)
    assert (first["rewards_unchanged"], second["rewards_unchanged"]) == (2, 2)


def test_a_refresh_after_a_failed_one_on_the_same_connection_stages_afresh(postgres_database):
    store = loaded(PostgresStore(postgres_database))
    try:
        with pytest.raises(Exception, match="scores_positive"):
            store.refresh(None, AS_OF, refresh_violating_a_check)
        assert store.rewards().empty  # the failed refresh's staged and written rewards rolled back
        summary = store.refresh(None, AS_OF, simple_refresh)
        assert summary["rewards_new"] == 2
        assert store._connection().execute(STAGED_TABLES).fetchone() == (0,)
    finally:
        store.close()
