"""The table reads every backend shares (genome/store/reads.py), rendered as SQL (pure: the store
contract runs them on SQLite and Postgres, test_supabase_requests over PostgREST)."""

from __future__ import annotations

import pytest

from genome.errors import GenomeError
from genome.store import frames, reads

ALERT_COLUMNS = ", ".join(frames.ALERTS)


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (
            "postgres",
            (
                f"select {ALERT_COLUMNS} from public.system_alerts where brand_id = any(%s::text[])"
                " and status = any(%s::text[]) order by last_seen_at desc, id desc",
                [["b1"], ["open", "acknowledged"]],
            ),
        ),
        (
            "sqlite",
            (
                f"select {ALERT_COLUMNS} from system_alerts where brand_id in (select value from json_each(?))"
                " and status in (select value from json_each(?)) order by last_seen_at desc, id desc",
                ['["b1"]', '["open", "acknowledged"]'],
            ),
        ),
    ],
)
def test_a_read_renders_its_filters_as_parameters_and_its_order_for_each_engine(dialect, expected):
    assert reads.sql(reads.alerts("unresolved", ["b1"]), dialect) == expected


@pytest.mark.parametrize(
    ("dialect", "component"),
    [
        ("postgres", "(reward_components ->> 'roas')::float8"),
        ("sqlite", "json_extract(reward_components, '$.roas')"),
    ],
)
def test_rewards_rename_the_ad_id_and_take_each_component_out_of_its_json(dialect, component):
    query, params = reads.sql(reads.rewards(None), dialect)
    assert query.startswith("select generated_ad_id, brand_id, reward_score, ")
    assert component in query and query.endswith("order by generated_ad_id")
    assert params == []


def test_an_equality_filter_and_a_limit():
    query, params = reads.sql(reads.alert_events(7, None), "postgres")
    assert (query.split(" where ")[1], params) == ("alert_id = %s order by id", [7])
    assert reads.sql(reads.job_runs(5), "sqlite")[0].endswith("order by started_at desc, id desc limit 5")


def test_an_unknown_alert_status_is_refused_before_any_query():
    with pytest.raises(GenomeError, match="status must be one of"):
        reads.alerts("closed", None)
