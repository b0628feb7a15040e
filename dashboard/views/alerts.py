"""Alerts: the loop's health. Filter, acknowledge and resolve as the operator with a note, run validation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, charts, state, ui
from genome import monitoring, vocabulary
from genome.errors import GenomeError
from genome.service import MAX_NAME_LENGTH, MAX_NOTE_LENGTH

NOTICE = "alerts_notice"
ALL_BRANDS = "All brands"
SEVERITIES = tuple(reversed(vocabulary.SEVERITIES))  # the most severe first
STATUSES = vocabulary.ALERT_STATUSES
TABLE_COLUMNS = [
    "id", "brand", "severity", "status", "alert_type", "metric_value", "threshold_value", "message",
    "occurrences", "as_of", "first_seen_at", "last_seen_at", "acknowledged_by", "resolved_by",
]  # fmt: skip
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
        st.caption("No recorded changes.")
        return
    table = events.assign(
        event=events["kind"].map(EVENT_LABELS).fillna(events["kind"]),
        value=monitoring.format_values(
            events["metric_value"], pd.Series(alert["alert_type"], index=events.index)
        ),
    )
    table["value"] = table["value"].where(events["metric_value"].notna(), "")
    st.dataframe(table[list(EVENT_COLUMNS)], hide_index=True, column_config=EVENT_COLUMNS, key=key)


@st.dialog("Alert details", width="large")
def show_details(ws: state.Workspace, alert: dict, brand_name: str) -> None:
    st.markdown(
        f"**{ui.md(alert['alert_type'])}** for **{ui.md(brand_name)}** · {alert['severity']} · {alert['status']}"
    )
    st.text(str(alert.get("message", "")))
    st.markdown("**History**")
    event_history(ws, pd.Series(alert), key="alerts_details_events")
    facts = pd.DataFrame(
        {"field": list(alert), "value": [("" if pd.isna(v) else str(v)) for v in alert.values()]}
    )
    st.dataframe(facts, hide_index=True)  # one alert: a fixed handful of fields


@st.fragment
def metric_history(ws: state.Workspace, brand_filter: str, names: dict[str, str]) -> None:
    """The recorded health metrics against their thresholds (reruns alone when the metric changes)."""
    history = ws.metric_history()
    if history.empty:
        st.info("No validation has run yet.")
        return
    metrics = sorted(history["metric_name"].unique().tolist())
    metric = st.selectbox("Metric", metrics, key="alerts_metric")
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

if st.button(
    "Run validation",
    type="primary",
    key="alerts_validate",
    help="Recompute every brand's health metrics now.",
):
    ui.run_job(
        "Validating every brand",
        lambda g: g.validate(),
        NOTICE,
        lambda s: f"Validation finished: {ui.job_summary_text(s)}.",
    )

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
open_count.metric("Open", int((shown["status"] == "open").sum()))
ack_count.metric("Acknowledged", int((shown["status"] == "acknowledged").sum()))
critical_count.metric("Critical", int((shown["severity"] == "critical").sum()))

if shown.empty:
    st.success("No alert matches these filters.", icon=":material/check_circle:")
else:
    ui.paged_table(
        shown[TABLE_COLUMNS],
        key="alerts_table",
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "brand": "Brand",
            "severity": "Severity",
            "status": "Status",
            "message": st.column_config.TextColumn("Message", width="large"),
            "occurrences": st.column_config.NumberColumn(
                "Times seen", help="Validation dates on which the metric was past its threshold"
            ),
            "acknowledged_by": "Acknowledged by",
            "resolved_by": "Resolved by",
            "alert_type": "Metric",
            "metric_value": st.column_config.NumberColumn("Value", format="%.3f"),
            "threshold_value": st.column_config.NumberColumn("Threshold", format="%.3f"),
            "first_seen_at": st.column_config.DatetimeColumn("First seen", format="YYYY-MM-DD HH:mm"),
            "last_seen_at": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm"),
            "as_of": st.column_config.DateColumn("Validation date", format="YYYY-MM-DD"),
        },
    )
    st.subheader("Alert history")
    history_labels = dict(
        zip(
            shown["id"].astype(int),
            "#" + shown["id"].astype(str) + " · " + shown["alert_type"] + " · " + shown["brand"].astype(str)
            + " (" + shown["status"] + ")",
            strict=True,
        )
    )  # fmt: skip
    history_id = st.selectbox(
        "Alert", list(history_labels), format_func=history_labels.get, key="alerts_history_pick"
    )
    event_history(ws, shown.loc[shown["id"].astype(int) == history_id].iloc[0], key="alerts_events")

st.subheader("Acknowledge or resolve")
actionable = shown.loc[shown["status"] != "resolved"]
if actionable.empty:
    st.caption("No unresolved alert among those shown.")
else:
    labels = dict(
        zip(
            actionable["id"].astype(int),
            "#"
            + actionable["id"].astype(str)
            + " · "
            + actionable["severity"]
            + " · "
            + actionable["alert_type"]
            + " · "
            + actionable["brand"].astype(str)
            + " ("
            + actionable["status"]
            + ")",
            strict=True,
        )
    )
    pick, details = st.columns([4, 1], vertical_alignment="bottom")
    alert_id = pick.selectbox("Alert", list(labels), format_func=labels.get, key="alerts_pick")
    chosen = actionable.loc[actionable["id"].astype(int) == alert_id].iloc[0]
    if details.button("Details", key="alerts_details", icon=":material/search:"):
        show_details(ws, chosen.drop(labels=["severity_rank"]).to_dict(), str(chosen["brand"]))
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
            st.session_state[NOTICE] = ("success", f"Alert #{alert_id} {verb} by {ui.md(by.strip())}.", None)
            st.rerun()

st.subheader("Metric history")
metric_history(ws, brand_filter, names)
