"""Repeatable validation (issue item 6) and the alert lifecycle with its event history (item 7), on
every storage backend (the `store` fixture: SQLite and Postgres; the Supabase backend runs the same
SQL functions, see tests/test_migrations.py).

The lifecycle tests drive the store with fixed alert actions, so every stored value is known; the
repeatability tests run the real validation of the demo workspace through `Genome`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from genome import monitoring
from genome.errors import GenomeError
from genome.jobs import ValidateInputs, ValidateOutputs
from genome.service import Genome
from genome.settings import Settings
from genome.store import open_store
from genome.store.sqlite import sqlite_path
from genome.vocabulary import ALERT_ACTION_COLUMNS
from tests.job_processes import load, workspace

DEMO_AS_OF = date(2026, 3, 1)
EARLY = date(2026, 1, 10)  # a date inside the demo data, seven weeks before its end
DAY_1, DAY_2, DAY_3 = date(2026, 2, 1), date(2026, 2, 2), date(2026, 2, 3)
BRAND = pd.DataFrame(
    {"id": ["b1"], "name": ["Brand One"], "organization_id": [None], "cross_brand_sharing": [False]}
)


# --- helpers ------------------------------------------------------------------------------------------
def breach(severity: str, value: float, action: str = "open") -> dict:
    threshold = 0.1 if severity == "critical" else 0.2
    return {
        "action": action,
        "alert_id": None,
        "brand_id": "b1",
        "alert_type": "approval_rate",
        "severity": severity,
        "metric_value": value,
        "threshold_value": threshold,
        "message": f"Approval rate {value:.0%} is below the {severity} threshold {threshold:.0%}.",
    }


def unresolved_id(store) -> int:
    return int(store.alerts("unresolved")["id"].iloc[0])


def update(store, severity: str, value: float) -> dict:
    """The repeat breach of the store's one unresolved alert."""
    return {**breach(severity, value, "update"), "alert_id": unresolved_id(store)}


def recovery(store, value: float = 0.3) -> dict:
    message = f"Approval rate recovered to {value:.0%}."
    return {**breach("warning", value, "resolve"), "alert_id": unresolved_id(store), "message": message}


def fixed(*actions: dict, metric_value: float = 0.15):
    """A validation compute recording one metric and returning these actions."""

    def compute(inputs: ValidateInputs) -> ValidateOutputs:
        metrics = pd.DataFrame(
            {
                "brand_id": ["b1"],
                "metric_name": ["approval_rate"],
                "metric_value": [metric_value],
                "warning": [0.2],
                "critical": [0.1],
            }
        )
        return ValidateOutputs(
            metrics=metrics, actions=pd.DataFrame(list(actions), columns=list(ALERT_ACTION_COLUMNS))
        )

    return compute


@pytest.fixture
def brand_store(store):
    store.save_brands(BRAND)
    return store


def the_alert(store) -> dict:
    alerts = store.alerts()
    assert len(alerts) == 1
    return alerts.iloc[0].to_dict()


def history(store, alert_id: int) -> list[tuple]:
    events = store.alert_events(alert_id=alert_id)
    return list(events[["kind", "actor", "note", "severity"]].itertuples(index=False, name=None))


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def demo(store) -> Genome:
    """The demo workspace in the store, refreshed at DEMO_AS_OF."""
    g = Genome(store, Settings())
    load(store, workspace(1, DEMO_AS_OF))
    g.refresh(as_of=DEMO_AS_OF)
    return g


# --- item 6: validation is repeatable -----------------------------------------------------------------
def test_validating_again_at_the_same_as_of_changes_no_alert(demo):
    first = demo.validate(as_of=DEMO_AS_OF)
    alerts, events = demo.alerts(), demo.alert_events()
    assert first["alerts_opened"] > 0
    demo.acknowledge(int(alerts["id"].iloc[0]), "ops", "looking")
    alerts, events = demo.alerts(), demo.alert_events()
    again = demo.validate(as_of=DEMO_AS_OF)
    assert {
        key: again[key] for key in ("alerts_opened", "alerts_updated", "alerts_resolved")
    } == dict.fromkeys(("alerts_opened", "alerts_updated", "alerts_resolved"), 0)
    pd.testing.assert_frame_equal(demo.alerts(), alerts, check_exact=True)  # occurrences, message, times
    pd.testing.assert_frame_equal(demo.alert_events(), events, check_exact=True)


def test_validation_metrics_depend_on_the_data_up_to_as_of_not_on_the_last_refresh(demo):
    """The store holds rewards refreshed at DEMO_AS_OF; a validation at EARLY must not read them."""
    demo.validate(as_of=EARLY)
    after_late_refresh = demo.metric_history()
    demo.refresh(as_of=EARLY)
    demo.validate(as_of=EARLY)
    pd.testing.assert_frame_equal(demo.metric_history(), after_late_refresh, check_exact=True)
    early = after_late_refresh[after_late_refresh["as_of"] == pd.Timestamp(EARLY)]
    freshness = early.loc[early["metric_name"] == "data_freshness_days", "metric_value"]
    assert (freshness.dropna() >= 0).all() and freshness.notna().any()


def test_an_occurrence_counts_once_per_as_of(brand_store):
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    brand_store.validate(["b1"], DAY_1, fixed(update(brand_store, "warning", 0.15)))
    assert the_alert(brand_store)["occurrences"] == 1
    brand_store.validate(["b1"], DAY_2, fixed(update(brand_store, "warning", 0.15)))
    alert = the_alert(brand_store)
    assert (alert["occurrences"], alert["as_of"]) == (2, pd.Timestamp(DAY_2))


def test_new_values_at_the_same_as_of_update_the_alert_without_counting_again(brand_store):
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    before = the_alert(brand_store)
    report = brand_store.validate(["b1"], DAY_1, fixed(update(brand_store, "critical", 0.05)))
    after = the_alert(brand_store)
    assert report["alerts_updated"] == 1
    assert (after["severity"], after["metric_value"], after["occurrences"]) == ("critical", 0.05, 1)
    assert after["last_seen_at"] > before["last_seen_at"]


def test_a_validation_at_an_earlier_as_of_leaves_the_alerts_alone(brand_store):
    """A backfill records its metrics; the alerts keep describing the newest validated date."""
    brand_store.validate(["b1"], DAY_2, fixed(breach("warning", 0.15)))
    alert, events = the_alert(brand_store), brand_store.alert_events()
    report = brand_store.validate(["b1"], DAY_1, fixed(recovery(brand_store), metric_value=0.3))
    assert (report["alerts_resolved"], report["alerts_updated"], report["alerts_opened"]) == (0, 0, 0)
    assert the_alert(brand_store) == alert
    pd.testing.assert_frame_equal(brand_store.alert_events(), events)
    assert brand_store.metric_history()["as_of"].tolist() == [pd.Timestamp(DAY_1), pd.Timestamp(DAY_2)]


def test_a_backfill_opens_no_alert_for_a_brand_validated_later(brand_store):
    brand_store.validate(["b1"], DAY_2, fixed(metric_value=0.3))
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    assert brand_store.alerts().empty


# --- item 7: the alert lifecycle ----------------------------------------------------------------------
def test_an_acknowledged_alert_that_escalates_is_open_again(brand_store):
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    alert_id = int(the_alert(brand_store)["id"])
    brand_store.set_alert_status(alert_id, "acknowledged", "ops", "known dip", now())
    report = brand_store.validate(["b1"], DAY_2, fixed(update(brand_store, "critical", 0.05)))
    alert = the_alert(brand_store)
    assert (report["alerts_updated"], report["alerts_reopened"]) == (1, 1)
    assert (alert["status"], alert["severity"], alert["acknowledged_by"]) == ("open", "critical", "ops")
    critical_message = "Approval rate 5% is below the critical threshold 10%."
    assert history(brand_store, alert_id) == [
        ("opened", "system", "Approval rate 15% is below the warning threshold 20%.", "warning"),
        ("acknowledged", "ops", "known dip", "warning"),
        ("escalated", "system", critical_message, "critical"),
        ("reopened", "system", critical_message, "critical"),
    ]


@pytest.mark.parametrize(
    ("status", "before", "after", "expected"),
    [
        ("acknowledged", "warning", "warning", "acknowledged"),  # no escalation: stays acknowledged
        ("acknowledged", "critical", "critical", "acknowledged"),  # acknowledged as critical already
        ("open", "warning", "critical", "open"),  # escalates, was open anyway
    ],
)
def test_only_an_escalation_reopens_an_acknowledged_alert(brand_store, status, before, after, expected):
    brand_store.validate(["b1"], DAY_1, fixed(breach(before, 0.15)))
    alert_id = int(the_alert(brand_store)["id"])
    if status == "acknowledged":
        brand_store.set_alert_status(alert_id, "acknowledged", "ops", "", now())
    report = brand_store.validate(["b1"], DAY_2, fixed(update(brand_store, after, 0.05)))
    assert (the_alert(brand_store)["status"], report["alerts_reopened"]) == (expected, 0)
    assert ("reopened" in brand_store.alert_events()["kind"].tolist()) is False


def test_every_acknowledgement_and_resolution_is_kept_as_an_event(brand_store):
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    alert_id = int(the_alert(brand_store)["id"])
    times = [datetime(2026, 2, 1, 9, 0, 5, tzinfo=UTC), datetime(2026, 2, 1, 10, 30, 0, tzinfo=UTC)]
    brand_store.set_alert_status(alert_id, "acknowledged", "ana", "looking", times[0])
    brand_store.set_alert_status(alert_id, "acknowledged", "ben", "still looking", times[1])
    resolved = brand_store.set_alert_status(alert_id, "resolved", "ana", "fixed the feed", now())
    events = brand_store.alert_events(alert_id=alert_id)
    assert history(brand_store, alert_id)[1:] == [
        ("acknowledged", "ana", "looking", "warning"),
        ("acknowledged", "ben", "still looking", "warning"),
        ("resolved", "ana", "fixed the feed", "warning"),
    ]
    acknowledged_at = events.loc[events["kind"] == "acknowledged", "occurred_at"].tolist()
    assert acknowledged_at == [pd.Timestamp(t).tz_localize(None) for t in times]
    assert (resolved["acknowledged_by"], resolved["ack_note"]) == ("ben", "still looking")  # the latest


@pytest.mark.parametrize("name", ["system", " System "])
def test_no_operator_signs_as_the_system(brand_store, name):
    """Security issue item 3: 'system' is validation's name in the event history (auto_resolved)."""
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    alert_id = int(the_alert(brand_store)["id"])
    with pytest.raises(GenomeError, match='"system" names the changes validation makes'):
        Genome(brand_store, Settings()).resolve(alert_id, name, "done")
    assert (the_alert(brand_store)["status"], history(brand_store, alert_id)) == (
        "open",
        history(brand_store, alert_id)[:1],
    )


def test_the_systems_resolution_is_an_event_with_its_as_of(brand_store):
    brand_store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    alert_id = int(the_alert(brand_store)["id"])
    brand_store.validate(["b1"], DAY_3, fixed(recovery(brand_store), metric_value=0.3))
    last = brand_store.alert_events(alert_id=alert_id).iloc[-1]
    assert (last["kind"], last["actor"], last["note"], last["as_of"]) == (
        "auto_resolved",
        monitoring.SYSTEM_ACTOR,
        "Approval rate recovered to 30%.",
        pd.Timestamp(DAY_3),
    )


def test_alert_events_filter_by_alert_and_brand(brand_store):
    brand_store.save_brands(BRAND.assign(id=["b2"], name=["Brand Two"]))
    brand_store.validate(
        ["b1", "b2"], DAY_1, fixed(breach("warning", 0.15), {**breach("warning", 0.1), "brand_id": "b2"})
    )
    ids = brand_store.alerts().set_index("brand_id")["id"]
    assert brand_store.alert_events(brand_id="b2")["alert_id"].tolist() == [ids["b2"]]
    assert brand_store.alert_events(alert_id=int(ids["b1"]))["brand_id"].tolist() == ["b1"]
    assert len(brand_store.alert_events()) == 2
    assert brand_store.alert_events(alert_id=999_999).empty


# --- the SQLite history is append-only ------------------------------------------------------------------
def test_sqlite_refuses_to_rewrite_an_alert_event(sqlite_url):
    store = open_store(sqlite_url, Settings())
    store.save_brands(BRAND)
    store.validate(["b1"], DAY_1, fixed(breach("warning", 0.15)))
    store.close()
    connection = sqlite3.connect(sqlite_path(sqlite_url))
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("update system_alert_events set note = 'rewritten'")
    finally:
        connection.close()
