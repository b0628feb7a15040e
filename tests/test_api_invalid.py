"""Every bad argument the facade refuses, one case per test, with the documented exception."""

from __future__ import annotations

import pandas as pd
import pytest

import genome
from genome.errors import GenomeError, NotFound, ValidationError
from genome.settings import SettingsError

ADS = pd.DataFrame(
    {
        "ad_id": ["a1"],
        "brand_id": ["b1"],
        "created_at": ["2026-10-01"],
        "final_status": ["approved"],
        "is_imported": ["false"],
        "pre_gen_score": [0.5],
        "element_tags": ['{"hook_type": "question"}'],
    }
)


@pytest.fixture
def g(sqlite_url):
    opened = genome.open(sqlite_url, config={})
    opened.import_ads(ADS)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.posteriors("nobody"),
        lambda g: g.cold_start("nobody"),
        lambda g: g.refresh("nobody"),
        lambda g: g.validate("nobody"),
        lambda g: g.score_history("nobody"),
    ],
    ids=["posteriors", "cold_start", "refresh", "validate", "history"],
)
def test_unknown_brand_is_not_found(g, call):
    """Reads of stored data name a missing brand; recommend, score and context answer at level 0
    instead (tests/test_trust_core.py), so a generator never breaks."""
    with pytest.raises(NotFound, match="no brand 'nobody'"):
        call(g)


@pytest.mark.parametrize("call", ["posteriors", "performance_context", "recommend", "cold_start"])
def test_a_brand_id_with_spaces_around_it_is_refused_not_read_as_a_new_brand(g, call):
    """Imports strip ids, so " aurora" would otherwise get level-0 advice for a brand that has data."""
    with pytest.raises(GenomeError, match="brand id must not start or end with spaces"):
        getattr(g, call)(" aurora-skincare")


@pytest.mark.parametrize("brand_id", ["", "   ", 7, None])
def test_brand_id_must_be_text(g, brand_id):
    with pytest.raises(GenomeError, match=r"brand id (is required|must be text)"):
        g.posteriors(brand_id)


@pytest.mark.parametrize("as_of", ["yesterday", "2026-13-01", "26/11/2026"])
def test_as_of_must_be_a_date(g, as_of):
    with pytest.raises(GenomeError, match="as_of must be a date"):
        g.refresh(as_of=as_of)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, 2**63])
def test_seed_must_be_a_whole_number(g, seed):
    with pytest.raises(GenomeError, match="seed must be a whole number"):
        g.recommend("b1", seed=seed)


@pytest.mark.parametrize("alert_id", [0, -3, "1", 1.0, True])
def test_alert_id_must_be_a_positive_whole_number(g, alert_id):
    with pytest.raises(GenomeError, match="alert id must be a positive whole number"):
        g.acknowledge(alert_id, by="Ada")


@pytest.mark.parametrize(
    ("by", "reason"),
    [
        ("", "name is required"),
        ("  ", "name is required"),
        ("x" * 101, "name is longer than 100"),
        (None, "name must be text"),
    ],
)
def test_acknowledging_needs_a_name(g, by, reason):
    with pytest.raises(GenomeError, match=reason):
        g.acknowledge(1, by=by)


def test_note_has_a_length_limit(g):
    with pytest.raises(GenomeError, match="note is longer than 2,000"):
        g.resolve(1, by="Ada", note="x" * 2001)


def test_missing_alert_is_not_found(g):
    with pytest.raises(NotFound):
        g.acknowledge(999, by="Ada")


def test_unknown_alert_status_filter(g):
    with pytest.raises(GenomeError, match="status must be one of open, acknowledged, resolved, unresolved"):
        g.alerts(status="closed")


@pytest.mark.parametrize("limit", [0, -1, 2.5])
def test_job_history_limit(g, limit):
    with pytest.raises(GenomeError, match="limit must be a positive whole number"):
        g.job_runs(limit)


@pytest.mark.parametrize("tags", [["hook_type"], {"hook_type": 3}, "hook_type=question"])
def test_pre_gen_score_tags_must_map_text_to_text(g, tags):
    with pytest.raises(ValidationError):
        g.pre_gen_score("b1", tags)


def test_performance_for_an_unknown_ad_is_refused_and_nothing_written(g):
    rows = pd.DataFrame(
        {
            "ad_id": ["a1", "ghost"],
            "date": ["2026-10-02"] * 2,
            "impressions": [10, 10],
            "clicks": [1, 1],
            "conversions": [0, 0],
            "spend": [1.0, 1.0],
            "revenue": [0.0, 0.0],
            "campaign_objective": ["TRAFFIC"] * 2,
        }
    )
    with pytest.raises(ValidationError) as error:
        g.import_performance(rows)
    assert [(p.row, p.column) for p in error.value.problems] == [(2, "ad_id")]
    assert g.store.ad_aggregates(None, pd.Timestamp("2026-11-01").date())["impressions"].sum() == 0


def test_bad_setting_stops_open(sqlite_url):
    with pytest.raises(SettingsError, match="GENOME_POSTERIOR_MODE"):
        genome.open(sqlite_url, config={"GENOME_POSTERIOR_MODE": "bayes"})


def test_unknown_database_scheme(tmp_path):
    with pytest.raises(GenomeError):
        genome.open(f"mysql://{tmp_path}/x", config={})
