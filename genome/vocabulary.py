"""The fixed value sets every layer shares (core, store, service, CLI, pages), each defined once.

Each set is a `Literal` type for annotations and a tuple of its values for checks and SQL; the
database's check constraints hold the same values.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

JobType = Literal["refresh", "validate", "import_ads", "import_performance", "daily", "notify"]
JOB_TYPES: Final[tuple[JobType, ...]] = get_args(JobType)
#: succeeded jobs that write what a refresh reads (ads, daily rows, stored scores): a refresh is
#: skipped only when none of them came after the last refresh of the same inputs
WRITE_JOB_TYPES: Final[tuple[JobType, ...]] = ("import_ads", "import_performance", "refresh")

JobStatus = Literal["running", "succeeded", "failed"]
JOB_STATUSES: Final[tuple[JobStatus, ...]] = get_args(JobStatus)

FinalStatus = Literal["approved", "rejected", "flagged", "pending", "generation_failed"]
FINAL_STATUSES: Final[tuple[FinalStatus, ...]] = get_args(FinalStatus)

AlertStatus = Literal["open", "acknowledged", "resolved"]
ALERT_STATUSES: Final[tuple[AlertStatus, ...]] = get_args(AlertStatus)
UNRESOLVED_ALERT_STATUSES: Final[tuple[AlertStatus, ...]] = ("open", "acknowledged")
#: what an alert list may be filtered by: a status, or "unresolved" (open or acknowledged)
ALERT_STATUS_FILTERS: Final = (*ALERT_STATUSES, "unresolved")
#: what a person may set an alert to (the system opens, updates and auto-resolves)
SETTABLE_ALERT_STATUSES: Final[tuple[AlertStatus, ...]] = ("acknowledged", "resolved")

AlertEventKind = Literal["opened", "escalated", "reopened", "acknowledged", "resolved", "auto_resolved"]
ALERT_EVENT_KINDS: Final[tuple[AlertEventKind, ...]] = get_args(AlertEventKind)

Severity = Literal["warning", "critical"]
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)

AlertAction = Literal["open", "update", "resolve"]
ALERT_ACTIONS: Final[tuple[AlertAction, ...]] = get_args(AlertAction)

#: the counts `Store.brand_stats` returns
BRAND_STAT_NAMES: Final = ("matured_ads", "approved", "rejected")
#: columns of the health-metric frame a validation computes (ValidateOutputs.metrics)
HEALTH_METRIC_COLUMNS: Final = ("brand_id", "metric_name", "metric_value", "warning", "critical")
#: columns of the alert-action frame a validation decides (ValidateOutputs.actions)
ALERT_ACTION_COLUMNS: Final = (
    "action",
    "alert_id",
    "brand_id",
    "alert_type",
    "severity",
    "metric_value",
    "threshold_value",
    "message",
)


def dimension_order(names: object, tracked: tuple[str, ...] | list[str]) -> list[str]:
    """Element dimensions in the one order every page shows: the tracked elements in their settings
    order (GENOME_TRACKED_ELEMENTS), then any other dimension alphabetically."""
    present = {str(name) for name in names}  # type: ignore[union-attr]
    return [name for name in tracked if name in present] + sorted(present - set(tracked))
