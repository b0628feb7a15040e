"""The Supabase backend against a live project (migrations applied), over the real REST API.

Runs only when SUPABASE_TEST_URL and SUPABASE_TEST_SECRET_KEY are set. Every test writes into its own
brands (ids prefixed with a fresh run id) and the module deletes them afterwards. The scenarios are
plain functions so tests/test_supabase_requests.py also runs them on the local PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
import numpy as np
import pandas as pd
import pytest

from genome import jobs
from genome.errors import GenomeError, NotFound, StoreError
from genome.jobs import RefreshInputs, RefreshOutputs
from genome.settings import Settings
from genome.store.supabase import SupabaseStore
from support.postgrest import CountingTransport

LIVE_URL = os.environ.get("SUPABASE_TEST_URL", "")
LIVE_KEY = os.environ.get("SUPABASE_TEST_SECRET_KEY", "")
TRACKED_TAGS = ("hook_type", "color_mode")  # the workspace's tags that Settings() tracks ("note" is not)
PAGE = 1000

pytestmark = [
    pytest.mark.supabase_live,
    pytest.mark.skipif(
        not (LIVE_URL and LIVE_KEY),
        reason="live Supabase test: set SUPABASE_TEST_URL and SUPABASE_TEST_SECRET_KEY (a project migrated with `genome migrate`)",
    ),
]


def synthetic_workspace(ads: int, days: int, prefix: str = "", start: date = date(2026, 1, 1)) -> dict:
    """Two brands in one organization; `prefix`b2 rejects its ads. Ads are created the day before
    `start` and have `days` daily rows; 'question' hooks get three times the CTR of the others."""
    rng = np.random.default_rng(11)
    index = np.arange(ads)
    ad_ids = prefix + "ad-" + pd.Series(index).astype(str).str.zfill(5)
    hooks = rng.choice(["question", "statistic", "story"], size=ads)
    colours = rng.choice(["dark", "light"], size=ads)
    brand = np.where(index % 4 == 0, prefix + "b2", prefix + "b1")
    ad_frame = pd.DataFrame(
        {
            "ad_id": ad_ids,
            "brand_id": brand,
            "element_tags": '{"hook_type": "' + hooks + '", "color_mode": "' + colours + '", "note": "x"}',
            "pre_gen_score": rng.uniform(0, 1, size=ads),
            "final_status": np.where(brand == prefix + "b2", "rejected", "approved"),
            "is_imported": index % 3 == 0,
            "created_at": pd.Timestamp(start) - pd.Timedelta(days=1),
        }
    )
    rows = ads * days
    impressions = rng.integers(150, 400, size=rows)
    clicks = rng.binomial(impressions, np.where(np.repeat(hooks, days) == "question", 0.03, 0.01))
    conversions = rng.binomial(clicks, 0.2)
    performance = pd.DataFrame(
        {
            "ad_id": np.repeat(ad_ids.to_numpy(), days),
            "date": pd.Timestamp(start) + pd.to_timedelta(np.tile(np.arange(days), ads), unit="D"),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": conversions,
            "spend": np.round(impressions * 0.004, 2),
            "revenue": np.round(conversions * rng.uniform(5, 15, size=rows), 2),
            "campaign_objective": "SALES",
        }
    )
    brands = pd.DataFrame(
        {
            "id": [prefix + "b1", prefix + "b2"],
            "name": ["Brand one", "Brand two"],
            "organization_id": [prefix + "org"] * 2,
            "cross_brand_sharing": [True, True],
        }
    )
    return {"brands": brands, "ads": ad_frame, "performance": performance}


def load(store: SupabaseStore, workspace: dict) -> list[str]:
    """Write a workspace through the store's import calls; returns its brand ids."""
    store.save_brands(workspace["brands"])
    store.import_ads(workspace["ads"])
    store.import_performance(workspace["performance"])
    return list(workspace["brands"]["id"])


# --- scenarios (also run on the local PostgreSQL server) --------------------------------------------


def tracked_element_groups(ads: pd.DataFrame) -> int:
    """How many (brand, element, value) groups of `TRACKED_TAGS` the `ads` of a synthetic workspace
    carry: the rows genome_ad_element_groups answers for them."""
    tags = pd.DataFrame(ads["element_tags"].map(json.loads).tolist(), index=ads.index)
    pairs = tags[list(TRACKED_TAGS)].assign(brand_id=ads["brand_id"]).melt(id_vars="brand_id")
    return len(pairs.drop_duplicates())


def check_refresh_pages_and_idempotence(
    store: SupabaseStore,
    counter: CountingTransport,
    prefix: str,
    compute: Callable[..., RefreshOutputs],
    history_reads: int,
    settings: Settings | None = None,
) -> dict:
    """1,100 ads page past the server's 1,000-row cap; a refresh costs pages of per-ad aggregates and
    of (brand, element, value) groups, never of daily or element rows; twice = once. `history_reads`:
    the GETs of the job history a refresh with `compute` sends (1 when it is given `settings`, so it
    may skip; else 0). Returns the second refresh's summary."""
    workspace = synthetic_workspace(ads=1100, days=12, prefix=prefix)
    brand_ids = load(store, workspace)
    as_of = date(2026, 2, 1)
    assert len(store.ad_aggregates(brand_ids, as_of)) == 1100
    brands, stored_scores = len(store.brands()), len(store.scores())
    groups = tracked_element_groups(workspace["ads"])

    before = len(counter.requests)
    first = store.refresh(brand_ids, as_of, compute, settings)
    pages = sum(rows // PAGE + 1 for rows in (brands, 1100, groups, stored_scores))
    assert len(counter.requests) - before == pages + history_reads + 1  # + the one apply call
    assert (first["brand_ids"], first["rewards_new"]) == (brand_ids, 1100)

    rewards, scores = store.rewards(brand_ids[0]), store.scores(brand_ids[0])
    second = store.refresh(brand_ids, as_of, compute, settings)
    assert (second["rewards_new"], second["rewards_updated"], second["rewards_unchanged"]) == (0, 0, 1100)
    pd.testing.assert_frame_equal(store.rewards(brand_ids[0]), rewards)
    pd.testing.assert_frame_equal(store.scores(brand_ids[0]), scores)
    assert set(scores["element_name"]) == set(TRACKED_TAGS)
    return second


def check_alert_lifecycle(store: SupabaseStore, prefix: str) -> None:
    """A rejecting brand breaches approval_rate; acknowledge, resolve, and refusals after that."""
    brand_ids = load(store, synthetic_workspace(ads=200, days=12, prefix=prefix))
    settings = Settings()
    as_of = date(2026, 1, 20)  # the ads are 20 days old: inside the 30-day approval window
    store.refresh(brand_ids, as_of, jobs.compute_refresh, settings)
    summary = store.validate([prefix + "b2"], as_of, jobs.compute_validation, settings)
    alerts = store.alerts("unresolved", prefix + "b2")
    assert summary["alerts_opened"] == len(alerts) >= 1
    alert_id = int(alerts.loc[alerts["alert_type"] == "approval_rate", "id"].iloc[0])

    at = datetime(2026, 1, 21, 9, 30, tzinfo=UTC)
    acknowledged = store.set_alert_status(alert_id, "acknowledged", "ana", "looking", at)
    assert (acknowledged["status"], acknowledged["acknowledged_by"], acknowledged["ack_note"]) == (
        "acknowledged",
        "ana",
        "looking",
    )
    assert store.set_alert_status(alert_id, "resolved", "ana", "fixed", at)["status"] == "resolved"
    with pytest.raises(GenomeError, match="resolved") as caught:
        store.set_alert_status(alert_id, "resolved", "ana", "again", at)
    assert not isinstance(caught.value, NotFound | StoreError)
    with pytest.raises(NotFound):
        store.set_alert_status(2**62, "acknowledged", "ana", "", at)


def check_failed_job_is_recorded(store: SupabaseStore, prefix: str) -> None:
    """compute fails after the reads: nothing is written and a failed run says why."""
    brand_ids = load(store, synthetic_workspace(ads=50, days=12, prefix=prefix))

    def broken(inputs: RefreshInputs) -> RefreshOutputs:
        raise ZeroDivisionError("broken maths")

    with pytest.raises(ZeroDivisionError):
        store.refresh(brand_ids[:1], date(2026, 2, 1), broken)
    assert store.rewards(brand_ids[0]).empty and store.scores(brand_ids[0]).empty
    runs = store.job_runs(50)
    failed = runs[(runs["job_type"] == "refresh") & (runs["brand_id"] == brand_ids[0])].iloc[0]
    assert (failed["status"], failed["error"]) == ("failed", "ZeroDivisionError: broken maths")


def check_refusals_keep_their_sqlstate(store: SupabaseStore, secret: str, prefix: str) -> None:
    """A performance row for an unknown ad is refused whole, with the server's code."""
    load(store, synthetic_workspace(ads=5, days=1, prefix=prefix))
    row = synthetic_workspace(ads=1, days=1, prefix=prefix)["performance"].assign(ad_id=prefix + "no-such-ad")
    with pytest.raises(StoreError) as caught:
        store.import_performance(row)
    assert caught.value.code == "23503"
    assert secret not in str(caught.value)


def check_known_ad_ids(store: SupabaseStore, prefix: str) -> None:
    """Ids travel in the call body (reserved URL characters need no quoting), a page of ids per call;
    unknown ids are left out."""
    ads = synthetic_workspace(ads=1100, days=1, prefix=prefix)["ads"]
    odd = [prefix + "a,b", prefix + "x(y)", prefix + 'say "hi"']
    ads = ads.assign(ad_id=odd + ads["ad_id"].iloc[len(odd) :].tolist())
    store.import_ads(ads)
    ids = ads["ad_id"].tolist()
    unknown = [f"{prefix}missing-{i}" for i in range(1000)]
    assert store.known_ad_ids(unknown + ids) == set(ids)


# --- the live project ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live():
    counter = CountingTransport(httpx.HTTPTransport())
    store = SupabaseStore(LIVE_URL, LIVE_KEY, Settings(), transport=counter)
    run = f"live-{uuid.uuid4().hex[:8]}-"
    yield store, counter, run
    _delete_brands_with_prefix(run)
    store.close()


def _delete_brands_with_prefix(prefix: str) -> None:
    """Remove what the tests wrote: brands cascade to ads, performance, rewards, scores and alerts."""
    from supabase import create_client

    client = create_client(LIVE_URL, LIVE_KEY)
    client.table("genome_job_runs").delete().like("brand_id", f"{prefix}%").execute()
    client.table("brands").delete().like("id", f"{prefix}%").execute()


def test_live_refresh_pages_past_the_row_cap_and_is_idempotent(live):
    store, counter, run = live
    check_refresh_pages_and_idempotence(
        store, counter, run + "paging-", jobs.compute_refresh, history_reads=1, settings=Settings()
    )


def test_live_alert_lifecycle(live):
    store, _, run = live
    check_alert_lifecycle(store, run + "alerts-")


def test_live_failed_job_is_recorded(live):
    store, _, run = live
    check_failed_job_is_recorded(store, run + "failed-")


def test_live_known_ad_ids(live):
    store, _, run = live
    check_known_ad_ids(store, run + "known-")


def test_live_refusals_keep_their_sqlstate(live):
    store, _, run = live
    check_refusals_keep_their_sqlstate(store, LIVE_KEY, run + "refusals-")


def test_live_wrong_key_is_refused_without_echoing_it():
    wrong = "sb_secret_" + uuid.uuid4().hex
    store = SupabaseStore(LIVE_URL, wrong, Settings())
    with pytest.raises(StoreError) as caught:
        store.brands()
    store.close()
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert wrong not in f"{caught.value.details} {caught.value.hint}"
