"""Alerts: the loop's health. Filter, acknowledge and resolve as the operator with a note, run validation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, charts, formats, state, ui
from genome import monitoring, vocabulary
from genome.errors import GenomeError
from genome.service import MAX_NAME_LENGTH, MAX_NOTE_LENGTH

NOTICE = "alerts_notice"
ALL_BRANDS = "All brands"
SEVERITIES = tuple(reversed(vocabulary.SEVERITIES))  # the most severe first
STATUSES = vocabulary.ALERT_STATUSES
RESET_NOTE = "alerts_reset_note"  # set after an action: the next run starts with an empty note
PICK_GENERATION = "alerts_pick_generation"  # counts the actions of the session (see pick_key)
LAST_PICKED = "alerts_last_picked"  # the alert the picker showed last, kept across a new key
TABLE_COLUMNS = [
    "id", "brand", "severity", "status", "alert_type", "metric_value", "threshold_value", "message",
    "occurrences", "last_seen_at", "first_seen_at", "as_of", "acknowledged_by", "resolved_by",
]  # fmt: skip
TABLE_CONFIG = {
    "id": st.column_config.NumberColumn("#", format="%d"),
    "brand": "Brand",
    "severity": "Severity",
    "status": "Status",
    "alert_type": "Metric",
    "metric_value": st.column_config.TextColumn("Value", help="The metric at the latest validation."),
    "threshold_value": st.column_config.TextColumn("Threshold", help="The threshold the message names."),
    "message": st.column_config.TextColumn("Message", width="large"),
    "occurrences": st.column_config.NumberColumn(
        "Times seen", format="localized", help="Validation dates on which the metric was past its threshold"
    ),
    "last_seen_at": st.column_config.DatetimeColumn("Last seen (UTC)", format="YYYY-MM-DD HH:mm"),
    "first_seen_at": st.column_config.DatetimeColumn("First seen (UTC)", format="YYYY-MM-DD HH:mm"),
    "as_of": st.column_config.DateColumn("Validation date", format="YYYY-MM-DD"),
    "acknowledged_by": "Acknowledged by",
    "resolved_by": "Resolved by",
}
EVENT_LABELS = {
    "opened": "Opened",
    "escalated": "Escalated to critical",
    "reopened": "Reopened (escalated after it was acknowledged)",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "auto_resolved": "Resolved by the system (metric recovered)",
}
EVENT_COLUMNS = {
    "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "event": "What happened",
    "actor": "Who",
    "note": st.column_config.TextColumn("Note", width="large"),
    "severity": "Severity",
    "value": "Value",
    "as_of": st.column_config.DateColumn("Validation date", format="YYYY-MM-DD"),
}


def event_history(ws: state.Workspace, alert: pd.Series, key: str) -> None:
    """Every change of one alert, oldest first, in words: what, when (to the second), who, note."""
    events = ws.alert_events(int(alert["id"]))
    if events.empty:
        st.caption("No recorded changes for this alert.")
        return
    table = events.assign(
        event=events["kind"].map(EVENT_LABELS).fillna(events["kind"]),
        value=monitoring.format_values(
            events["metric_value"], pd.Series(alert["alert_type"], index=events.index)
        ),
    )
    table["value"] = table["value"].where(events["metric_value"].notna(), formats.MISSING)
    st.dataframe(
        table[list(EVENT_COLUMNS)],
        hide_index=True,
        column_config=EVENT_COLUMNS,
        key=key,
        placeholder=formats.MISSING,
    )


def alert_facts(alert: pd.Series, brand_name: str) -> pd.DataFrame:
    """One alert's fields in words and formats for people (the details dialog), markdown-escaped."""
    metric = alert["alert_type"]
    value, threshold = monitoring.format_values(
        pd.Series([alert["metric_value"], alert["threshold_value"]]), pd.Series([metric, metric])
    )
    facts = {
        "Brand": brand_name,
        "Metric": monitoring.METRIC_LABELS.get(metric, metric),
        "Severity": alert["severity"],
        "Status": alert["status"],
        "Value": value,
        "Threshold": threshold,
        "Times seen": formats.count(alert["occurrences"], "validation date"),
        "First seen": formats.moment(alert["first_seen_at"]),
        "Last seen": formats.moment(alert["last_seen_at"]),
        "Latest validation date": formats.moment(pd.Timestamp(alert["as_of"]).date())
        if pd.notna(alert["as_of"])
        else "",
        "Acknowledged": _who_when(alert["acknowledged_by"], alert["acknowledged_at"]),
        "Acknowledgement note": _text(alert["ack_note"]),
        "Resolved": _who_when(alert["resolved_by"], alert["resolved_at"]),
        "Resolution note": _text(alert["resolution_note"]),
    }
    return pd.DataFrame({"Field": list(facts), "Detail": [ui.md(_text(v)) for v in facts.values()]})


def _text(value: object) -> str:
    return formats.MISSING if pd.isna(value) or value == "" else str(value)


def _who_when(by: object, at: object) -> str:
    return formats.MISSING if pd.isna(by) else f"by {by}, {formats.moment(at)}"


@st.dialog("Alert details", width="large")
def show_details(ws: state.Workspace, alert: pd.Series, brand_name: str) -> None:
    metric = monitoring.METRIC_LABELS.get(alert["alert_type"], alert["alert_type"])
    st.markdown(f"**{ui.md(metric)}** for **{ui.md(brand_name)}** · {alert['severity']} · {alert['status']}")
    st.text(str(alert.get("message", "")))
    st.table(alert_facts(alert, brand_name).set_index("Field"), border="horizontal")
    st.markdown("**History**")
    event_history(ws, alert, key="alerts_details_events")


def alert_labels(alerts: pd.DataFrame, with_state: bool = True) -> dict[int, str]:
    """Picker labels in words: '#3 · critical · Data freshness · Dune Outdoor (open)'; without the
    severity and status (which change) when `with_state` is false."""
    metric = alerts["alert_type"].map(monitoring.METRIC_LABELS).fillna(alerts["alert_type"])
    what = metric + " · " + alerts["brand"].astype(str)
    if with_state:
        what = alerts["severity"] + " · " + what + " (" + alerts["status"] + ")"
    return dict(zip(alerts["id"].astype(int), "#" + alerts["id"].astype(str) + " · " + what, strict=True))


def alert_table(alerts: pd.DataFrame) -> pd.DataFrame:
    """The alerts as the table shows them: metric names in words, values and thresholds as the metric
    writes them ('11.5 %', '35 days')."""
    return alerts.assign(
        alert_type=alerts["alert_type"].map(monitoring.METRIC_LABELS).fillna(alerts["alert_type"]),
        metric_value=monitoring.format_values(alerts["metric_value"], alerts["alert_type"]),
        threshold_value=monitoring.format_values(alerts["threshold_value"], alerts["alert_type"]),
    )[TABLE_COLUMNS]


def act_on(ws: state.Workspace, actionable: pd.DataFrame) -> None:
    """Acknowledge or resolve one alert with a note; after an action the note is empty again."""
    labels = alert_labels(actionable)
    if st.session_state.pop(RESET_NOTE, False):  # the last action succeeded: never reuse its note
        st.session_state["alerts_note"] = ""
    ids = list(labels)
    last = st.session_state.get(LAST_PICKED)
    pick, details = st.columns([4, 1], vertical_alignment="bottom")
    alert_id = pick.selectbox(
        "Alert",
        ids,
        index=ids.index(last) if last in ids else 0,
        format_func=labels.get,
        key=pick_key(),
    )
    st.session_state[LAST_PICKED] = alert_id
    chosen = actionable.loc[actionable["id"].astype(int) == alert_id].iloc[0]
    if details.button("Details", key="alerts_details", icon=":material/search:"):
        show_details(ws, chosen, str(chosen["brand"]))
    operator = auth.current_operator()  # the signed-in operator acts; None in local mode
    with st.form("alerts_action_form"):
        if operator is None:
            by = st.text_input(
                "Your name",
                value=st.session_state.get(state.OPERATOR_KEY, ""),
                key="alerts_by",
                max_chars=MAX_NAME_LENGTH,
            )
        else:
            by = operator.identity
            st.markdown(f"Acting as **{ui.md(by)}** (signed in)")
        note = st.text_area(
            "Note", key="alerts_note", max_chars=MAX_NOTE_LENGTH, placeholder="What you checked or changed"
        )
        ack_col, resolve_col, _ = st.columns([1, 1, 3])
        acknowledge = ack_col.form_submit_button("Acknowledge")
        resolve = resolve_col.form_submit_button("Resolve", type="primary")
    if acknowledge or resolve:
        if operator is None:
            st.session_state[state.OPERATOR_KEY] = by.strip()
        verb = "acknowledged" if acknowledge else "resolved"
        try:
            if acknowledge:
                ws.write(lambda g: g.acknowledge(int(alert_id), by, note))
            else:
                ws.write(lambda g: g.resolve(int(alert_id), by, note))
        except GenomeError as exc:
            st.error(f"Alert #{alert_id} was not {verb}: {ui.md(exc)}", icon=":material/warning:")
        else:
            st.session_state[NOTICE] = ("success", f"Alert #{alert_id} {verb} by {ui.md(by.strip())}.")
            st.session_state[RESET_NOTE] = True
            st.session_state[PICK_GENERATION] = st.session_state.get(PICK_GENERATION, 0) + 1
            st.rerun()


def pick_key() -> str:
    """The action picker's key, new after every action or validation. A keyed selectbox is identified
    by its key alone, and the browser keeps showing the label it first drew for the chosen option, so
    without a new key the picker would still say "(open)" after Acknowledge. The chosen alert is kept
    (LAST_PICKED)."""
    generation = st.session_state.get(PICK_GENERATION, 0)
    return "alerts_pick" if generation == 0 else f"alerts_pick_{generation}"


@st.fragment
def metric_history(ws: state.Workspace, brand_filter: str, names: dict[str, str]) -> None:
    """The recorded health metrics against their thresholds (reruns alone when the metric changes)."""
    history = ws.metric_history()
    if history.empty:
        ui.empty_state(
            "No health metrics yet",
            "Run validation to compute every brand's health metrics.",
            ":material/monitoring:",
        )
        return
    recorded = set(history["metric_name"].unique())
    metrics = [name for name in monitoring.METRIC_NAMES if name in recorded]  # the one metric order
    metric = st.selectbox(
        "Metric",
        metrics,
        key="alerts_metric",
        format_func=lambda name: monitoring.METRIC_LABELS.get(name, name),
    )
    if brand_filter != ALL_BRANDS:
        history = history.loc[history["brand_id"] == brand_filter]
    st.plotly_chart(charts.metric_history_figure(history, metric, names), key="alerts_metric_chart")


ws = state.workspace()
st.title("Alerts")
st.caption(
    "Health checks on the learning loop. Validation opens, updates and resolves alerts; you acknowledge and resolve them."
)
ui.show_notice(NOTICE)
if ws.brands().empty:
    ui.empty_workspace("alerts")
    st.stop()

validate_clicked = st.button(
    "Run validation",
    type="primary",
    key="alerts_validate",
    help="Recompute every brand's health metrics now.",
)
job_progress = st.container()  # the job's progress, above the alerts that stay in view meanwhile

names = ws.brand_names()
brand_col, severity_col, status_col = st.columns(3)
brand_filter = brand_col.selectbox(
    "Brand", [ALL_BRANDS, *names], key="alerts_brand", format_func=lambda b: names.get(b, b)
)
severities = severity_col.multiselect("Severity", SEVERITIES, default=SEVERITIES, key="alerts_severity")
statuses = status_col.multiselect("Status", STATUSES, default=STATUSES[:2], key="alerts_status")

alerts = ws.alerts()
shown = alerts.loc[alerts["severity"].isin(severities) & alerts["status"].isin(statuses)]
if brand_filter != ALL_BRANDS:
    shown = shown.loc[shown["brand_id"] == brand_filter]
shown = shown.assign(
    brand=shown["brand_id"].map(names).fillna(shown["brand_id"]),
    severity_rank=shown["severity"].map({s: i for i, s in enumerate(SEVERITIES)}),
).sort_values(["severity_rank", "last_seen_at"], ascending=[True, False], kind="stable")

open_count, ack_count, critical_count = st.columns(3)
open_count.metric(
    "Open", formats.count((shown["status"] == "open").sum()), help="No one has acknowledged them yet."
)
ack_count.metric(
    "Acknowledged",
    formats.count((shown["status"] == "acknowledged").sum()),
    help="Someone is looking into them.",
)
critical_count.metric("Critical", formats.count((shown["severity"] == "critical").sum()))

if shown.empty:
    ui.empty_state(
        "No alert matches these filters",
        "Widen the brand, severity or status filters above to see more alerts.",
        ":material/filter_alt_off:",
    )
else:
    ui.paged_table(alert_table(shown), key="alerts_table", column_config=TABLE_CONFIG)
    st.subheader("Alert history")
    history_labels = alert_labels(shown, with_state=False)  # the table beside it shows severity and status
    history_id = st.selectbox(
        "Alert", list(history_labels), format_func=history_labels.get, key="alerts_history_pick"
    )
    event_history(ws, shown.loc[shown["id"].astype(int) == history_id].iloc[0], key="alerts_events")

st.subheader("Acknowledge or resolve")
actionable = shown.loc[shown["status"] != "resolved"]
if actionable.empty:
    st.caption("No unresolved alert among those shown.")
else:
    act_on(ws, actionable)

st.subheader("Metric history")
metric_history(ws, brand_filter, names)
with job_progress:
    if validate_clicked:
        st.session_state[PICK_GENERATION] = st.session_state.get(PICK_GENERATION, 0) + 1  # labels may change
        ui.validate_every_brand(NOTICE)
