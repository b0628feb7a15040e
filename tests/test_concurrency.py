"""Jobs at the same time on one database, SQLite and Postgres.

Several `python -m genome refresh` and `validate` processes released together end in exactly the state
of the same jobs run one after another; processes opening a new SQLite file at once all succeed; and
an operator's acknowledgement or resolution that lands while a validation holds its transaction is
kept, whichever order the database puts them in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pandas as pd
import pytest

import genome
from genome.errors import GenomeError
from genome.jobs import ValidateInputs, ValidateOutputs
from genome.store import open_store
from genome.validation import validate_ads
from genome.vocabulary import ALERT_ACTION_COLUMNS
from tests.conftest import BACKENDS
from tests.job_processes import (
    PROCESS_TIMEOUT_SECONDS,
    assert_same,
    job_counts,
    load,
    postgres_clone,
    run_together,
    snapshot,
    workspace,
)

AS_OF = date(2026, 3, 1)
EVERYTHING = ["rewards", "scores", "history", "alerts", "metrics"]


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, str]]:
    """(database the processes share, reference database for the same jobs one after another)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}", f"sqlite:///{tmp_path / 'serial.db'}"
        return
    admin = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    with postgres_clone(admin, template) as shared, postgres_clone(admin, template) as serial:
        yield shared, serial


def command(url: str, job: str) -> tuple[str, ...]:
    return ("--database", url, job, "--as-of", AS_OF.isoformat(), "--json")


def test_jobs_released_together_end_as_the_same_jobs_one_after_another(urls):
    url, serial_url = urls
    frames = workspace(1, AS_OF)
    serial = genome.open(serial_url)
    load(serial.store, frames)
    serial.refresh(as_of=AS_OF)
    after_refresh = snapshot(serial.store)
    serial.refresh(as_of=AS_OF)
    serial.validate(as_of=AS_OF)
    serial.validate(as_of=AS_OF)
    after_all = snapshot(serial.store)
    serial.close()

    shared = genome.open(url)
    load(shared.store, frames)
    shared.close()
    refreshes = run_together([command(url, "refresh")] * 3)
    assert [(code, err) for code, _, err in refreshes] == [(0, "")] * 3
    shared = genome.open(url)
    assert_same(snapshot(shared.store), after_refresh, EVERYTHING)
    shared.close()

    mixed = run_together([command(url, "refresh"), command(url, "validate"), command(url, "validate")])
    assert [(code, err) for code, _, err in mixed] == [(0, "")] * 3
    shared = genome.open(url)
    try:
        assert_same(snapshot(shared.store), after_all, EVERYTHING)
        assert job_counts(shared.store) == {
            ("import_ads", "succeeded"): 1,
            ("import_performance", "succeeded"): 1,
            ("refresh", "succeeded"): 4,
            ("validate", "succeeded"): 2,
        }
    finally:
        shared.close()


def test_processes_opening_a_new_sqlite_file_at_once_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    results = run_together([("--database", url, "jobs", "--json")] * 3)
    assert [(code, out.strip(), err) for code, out, err in results] == [(0, "[]", "")] * 3


# --- an operator's change racing a validation ------------------------------------------------------------
ADS = pd.DataFrame(
    {
        "ad_id": ["a1"],
        "brand_id": ["b1"],
        "created_at": ["2026-02-01"],
        "final_status": ["approved"],
        "is_imported": ["no"],
        "element_tags": ['{"hook_type": "question"}'],
    }
)


def action(kind: str, alert_id: int | None, severity: str) -> dict:
    return {
        "action": kind,
        "alert_id": alert_id,
        "brand_id": "b1",
        "alert_type": "approval_rate",
        "severity": severity,
        "metric_value": 0.05,
        "threshold_value": 0.1,
        "message": f"{kind} by the system",
    }


def outputs(actions: list[dict]) -> ValidateOutputs:
    return ValidateOutputs(
        metrics=pd.DataFrame(columns=["brand_id", "metric_name", "metric_value", "warning", "critical"]),
        actions=pd.DataFrame(actions, columns=list(ALERT_ACTION_COLUMNS)),
    )


@pytest.fixture
def open_alert(store) -> int:
    store.import_ads(validate_ads(ADS, today=AS_OF))
    store.validate(["b1"], AS_OF, lambda _inputs: outputs([action("open", None, "warning")]))
    return int(store.alerts()["id"].iloc[0])


@pytest.mark.parametrize(
    ("operator", "system"),
    [("acknowledged", "update"), ("acknowledged", "resolve"), ("resolved", "update")],
    ids=["ack-vs-update", "ack-vs-resolve", "resolve-vs-update"],
)
def test_an_operator_change_during_a_validation_is_kept(store, store_url, open_alert, operator, system):
    """The operator writes after the validation read the alert as open and before it writes.

    Postgres lets the operator commit there (the job's lock does not cover alert status changes);
    SQLite queues the operator behind the job's write transaction. Either way nothing is lost: the
    operator's change survives the job's write, or the operator is told why it was refused."""
    operator_store = open_store(store_url)
    refused: list[GenomeError] = []

    def change() -> None:
        try:
            note = "looking" if operator == "acknowledged" else "fixed"
            operator_store.set_alert_status(open_alert, operator, "ops", note, datetime.now(UTC))
        except GenomeError as error:
            refused.append(error)

    def racing_validation(inputs: ValidateInputs) -> ValidateOutputs:
        assert inputs.alerts["status"].tolist() == ["open"]
        worker.start()
        if store_url.startswith("postgres"):
            worker.join(PROCESS_TIMEOUT_SECONDS)
            assert not worker.is_alive()
        return outputs([action(system, open_alert, "critical")])

    worker = threading.Thread(target=change)
    try:
        store.validate(["b1"], AS_OF, racing_validation)
        worker.join(PROCESS_TIMEOUT_SECONDS)
    finally:
        operator_store.close()
    assert not worker.is_alive()
    alert = store.alerts().set_index("id").loc[open_alert]
    operator_first = store_url.startswith("postgres")

    refusal = []
    if operator == "acknowledged" and system == "update" and operator_first:  # the escalation reopens it
        expected = {"status": "open", "severity": "critical", "acknowledged_by": "ops", "ack_note": "looking"}
    elif operator == "acknowledged" and system == "update":  # escalated first, then acknowledged
        expected = {
            "status": "acknowledged",
            "severity": "critical",
            "acknowledged_by": "ops",
            "ack_note": "looking",
        }
    elif operator == "acknowledged" and operator_first:  # acknowledged, then resolved by the system
        expected = {
            "status": "resolved",
            "resolved_by": "system",
            "acknowledged_by": "ops",
            "ack_note": "looking",
        }
    elif operator == "acknowledged":  # resolved by the system first: the operator is told, not ignored
        expected = {"status": "resolved", "resolved_by": "system"}
        refusal = [f"alert {open_alert} is already resolved"]
    else:  # resolved by the operator; the system's update never reopens or rewrites it
        expected = {"status": "resolved", "resolved_by": "ops", "resolution_note": "fixed"}
    assert {name: alert[name] for name in expected} == expected
    assert [str(error) for error in refused] == refusal
    assert store.alerts(status="unresolved").empty == (expected["status"] == "resolved")
    events = store.alert_events(alert_id=open_alert)
    assert events["kind"].iloc[0] == "opened" and events["actor"].tolist().count("ops") == 1 - len(refusal)
