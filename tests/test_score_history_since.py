"""Score history of every brand from a date on (Store.score_history_since), on each backend, and the
one request the supabase backend sends for it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from genome.store import frames, reads
from support import wire
from tests.test_store_contract import AS_OF, loaded, simple_refresh
from tests.test_supabase_requests import FakePostgrest, _answer_names, sent, store_with


def test_snapshots_from_a_date_on_for_every_brand(store):
    loaded(store).refresh(None, date(2024, 3, 2), simple_refresh)
    store.refresh(None, AS_OF, simple_refresh)
    every = store.score_history_since(date(2024, 3, 1))
    assert list(every.columns) == list(frames.SCORE_HISTORY_SINCE)
    assert set(every["brand_id"]) == {"b1", "b2"}
    b1 = every.loc[every["brand_id"] == "b1"].drop(columns="brand_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(b1, store.score_history("b1"))
    recent = store.score_history_since(date(2024, 3, 3))
    assert recent["as_of"].unique().tolist() == [pd.Timestamp(AS_OF)]
    assert store.score_history_since(date(2024, 3, 11)).empty


def test_the_supabase_backend_sends_one_filtered_read():
    fake = FakePostgrest({name: [] for name in _answer_names()})
    store_with(fake).score_history_since(date(2026, 3, 1))
    expected = reads.score_history_since(date(2026, 3, 1))
    assert [sent(r) for r in fake.requests] == [wire.wire_request(expected)]
    assert ("as_of", "gte.2026-03-01") in sent(fake.requests[0]).params
