"""Alert notifications: each alert a validation opened, escalated, reopened or resolved, POSTed as JSON
to GENOME_ALERT_WEBHOOK_URL after the validation committed.

A payload has a human-readable `text` (a Slack incoming webhook shows it as is) and structured fields.
Delivery has a short timeout, bounded retries and a bounded total time, and never raises: it returns
what was sent and, in words, what failed. The URL is a secret (its path is the token): it never
appears in a payload, a result or an error.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from genome.text_rules import printable

#: the system's alert events a notification is sent for
NOTIFIED_KINDS = ("opened", "escalated", "reopened", "auto_resolved")
TIMEOUT_SECONDS = 3.0  # one attempt's connect + response
RETRIES = 2  # after the first attempt, on a timeout, a connection failure or a 5xx
BACKOFF_SECONDS = (0.5, 1.0)
BUDGET_SECONDS = 20.0
#: how far the database's clock may lag the caller's when events are matched to a validation
#: (a validation that changed nothing sends nothing, so a repeat never resends)
CLOCK_SLACK = timedelta(
    minutes=1
)  # all deliveries of one validation; what is left over is reported as not sent
_VERB = {"opened": "opened", "escalated": "escalated", "reopened": "reopened", "auto_resolved": "resolved"}
_PERCENT_METRICS = ("approval_rate", "generation_success_rate", "winner_rate", "prediction_accuracy")


@dataclass(frozen=True)
class Delivery:
    """The result of one batch: counts and, per failed payload, a one-line reason (no URL)."""

    sent: int
    failed: int
    errors: tuple[str, ...]

    def summary(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "errors": list(self.errors)}

    def error_text(self) -> str | None:
        """One line for the job history when anything failed, else None."""
        if not self.failed:
            return None
        reasons = "; ".join(dict.fromkeys(self.errors))
        return f"{self.failed} of {self.sent + self.failed} alert notifications not delivered: {reasons}"


def alert_changes(
    events: pd.DataFrame, alerts: pd.DataFrame, brand_ids: Sequence[str], as_of: date, since: datetime
) -> pd.DataFrame:
    """The system's alert events of one validation (brands, as_of, at or after `since`), joined to
    their alerts' metric and threshold: one row per notification, oldest first."""
    occurred = pd.to_datetime(events["occurred_at"], utc=True)
    chosen = events[
        events["kind"].isin(NOTIFIED_KINDS)
        & (events["actor"] == "system")
        & events["brand_id"].isin(list(brand_ids))
        & (pd.to_datetime(events["as_of"]).dt.date == as_of)
        & (occurred >= pd.Timestamp(since))
    ]
    details = alerts[["id", "alert_type", "threshold_value"]].rename(columns={"id": "alert_id"})
    return chosen.merge(details, on="alert_id", how="left").sort_values("id", kind="stable")


def payloads(changes: pd.DataFrame) -> list[dict]:
    """One JSON payload per alert change."""
    return [_payload(row) for row in changes.to_dict("records")]


def _payload(change: dict) -> dict:
    metric = printable(str(change.get("alert_type") or ""))
    brand = printable(str(change["brand_id"]))
    value, threshold = _number(change.get("metric_value")), _number(change.get("threshold_value"))
    severity = printable(str(change.get("severity") or ""))
    verb = _VERB[change["kind"]]
    as_of = change.get("as_of")
    as_of_text = pd.Timestamp(as_of).date().isoformat() if as_of is not None and not pd.isna(as_of) else None
    link_hint = f"Alerts page, brand {brand}, alert #{int(change['alert_id'])}"
    text = (
        f"{'Resolved' if verb == 'resolved' else severity.capitalize()} alert {verb} for brand {brand}: "
        f"{metric} is {_shown(metric, value)}"
        + (f" (threshold {_shown(metric, threshold)})" if threshold is not None else "")
        + f" as of {as_of_text}. See the {link_hint}."
    )
    return {
        "text": slack_escape(text),
        "event": verb,
        "brand_id": brand,
        "alert_id": int(change["alert_id"]),
        "metric": metric,
        "severity": severity,
        "value": value,
        "threshold": threshold,
        "as_of": as_of_text,
        "message": printable(str(change.get("note") or "")),
        "link_hint": link_hint,
    }


def slack_escape(text: str) -> str:
    """`text` safe as Slack message text: &, < and > escaped (no links, mentions or markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _shown(metric: str, value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.0%}" if metric in _PERCENT_METRICS else f"{value:,.1f}"


def deliver(
    url: str,
    items: Sequence[dict],
    post: Callable[[str, bytes, float], int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """POST each payload to `url`; never raises. `post` (default: urllib) returns the HTTP status."""
    post = post or _post
    deadline = clock() + BUDGET_SECONDS
    sent, errors = 0, []
    for item in items:
        error = _deliver_one(url, json.dumps(item).encode(), post, sleep, clock, deadline)
        if error is None:
            sent += 1
        else:
            errors.append(error)
    return Delivery(sent, len(errors), tuple(errors))


def _deliver_one(
    url: str,
    body: bytes,
    post: Callable[[str, bytes, float], int],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    deadline: float,
) -> str | None:
    """None when delivered, else why not (the last attempt's reason)."""
    reason, attempts = "not attempted: the time for notifications ran out", 0
    while attempts <= RETRIES and deadline - clock() > 0:
        if attempts:
            sleep(min(BACKOFF_SECONDS[attempts - 1], max(deadline - clock(), 0)))
        attempts += 1
        try:
            status = post(url, body, max(min(TIMEOUT_SECONDS, deadline - clock()), 0.01))
        except Exception as error:  # any failure of the attempt is reported, never raised
            reason = _failure(error)
            continue
        if 200 <= status < 300:
            return None
        reason = f"the webhook answered HTTP {status}"
        if status < 500:
            break  # the request itself is refused: retrying will not help
    return reason if attempts < 2 else f"{reason} ({attempts} attempts)"


def _failure(error: Exception) -> str:
    """A one-line reason without the URL."""
    if isinstance(error, urllib.error.HTTPError):
        return f"the webhook answered HTTP {error.code}"
    if isinstance(error, TimeoutError) or "timed out" in str(error):
        return f"the webhook did not answer within {TIMEOUT_SECONDS:g} s"
    if isinstance(error, urllib.error.URLError):
        return f"the webhook could not be reached ({type(error.reason).__name__})"
    return f"the webhook could not be reached ({type(error).__name__})"


def _post(url: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
