"""Overview: every brand's place in the learning loop, and refresh-all."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import changes, state, ui

NOTICE = "overview_notice"

ws = state.workspace()
st.title("Overview")
st.caption(
    "Every brand at a glance: how much it has learned (cold-start level, matured ads), how much it "
    "still explores, its winner rate and open alerts."
)
ui.show_notice(NOTICE)

daily = ws.genome.daily_status()  # one read of the newest job runs
(st.warning if daily.overdue else st.caption)(ui.md(daily.text))

overview = ws.overview()
if overview.empty:
    ui.empty_workspace("overview")
    st.stop()

decided = overview["approved"] + overview["rejected"]
table = overview.assign(
    approval_rate=np.where(decided > 0, overview["approved"] / decided.where(decided > 0, 1), np.nan)
)[
    [
        "name",
        "brand_id",
        "organization_id",
        "cold_start_level",
        "matured_ads",
        "ads",
        "exploration_rate",
        "winner_rate",
        "approval_rate",
        "open_alerts",
        "last_refresh",
    ]
]

brands, ads, matured, alerts = st.columns(4)
brands.metric("Brands", f"{len(overview):,}")
ads.metric("Ads", f"{int(overview['ads'].sum()):,}")
matured.metric(
    "Matured ads", f"{int(overview['matured_ads'].sum()):,}", help="Ads whose CTR has matured into a reward."
)
alerts.metric("Open alerts", f"{int(overview['open_alerts'].sum()):,}")

refresh, validate, _ = st.columns([1, 1, 3])
if refresh.button(
    "Refresh all brands",
    type="primary",
    key="overview_refresh",
    help="Recompute rewards and posteriors of every brand from the performance data up to today.",
):
    ui.run_job(
        "Refreshing every brand",
        lambda g: g.refresh(),
        NOTICE,
        lambda s: f"Refresh finished: {ui.job_summary_text(s)}.",
    )
if validate.button(
    "Run validation",
    key="overview_validate",
    help="Recompute health metrics and open, update or resolve alerts.",
):
    ui.run_job(
        "Validating every brand",
        lambda g: g.validate(),
        NOTICE,
        lambda s: f"Validation finished: {ui.job_summary_text(s)}.",
    )

ui.paged_table(
    table.sort_values(["open_alerts", "name"], ascending=[False, True], kind="stable"),
    key="overview_table",
    column_config={
        "name": st.column_config.TextColumn("Brand", pinned=True),
        "brand_id": "Id",
        "organization_id": "Organization",
        "cold_start_level": st.column_config.NumberColumn(
            "Level",
            help="Cold-start level 0–3 from the number of matured ads (see Exploration & cold start).",
        ),
        "matured_ads": st.column_config.NumberColumn("Matured ads", format="localized"),
        "ads": st.column_config.NumberColumn("Ads", format="localized"),
        "exploration_rate": st.column_config.NumberColumn("Exploration", format="percent"),
        "winner_rate": st.column_config.NumberColumn(
            "Winner rate", format="percent", help="Share of rewards at or above the winner threshold."
        ),
        "approval_rate": st.column_config.NumberColumn("Approval rate", format="percent"),
        "open_alerts": st.column_config.NumberColumn("Open alerts"),
        "last_refresh": st.column_config.DatetimeColumn("Last refresh", format="YYYY-MM-DD HH:mm"),
    },
)
st.caption("Pick a brand in the sidebar to see its elements, exploration and generation preview.")

changes.all_brands_section(ws)  # What changed across brands (dash-b)
