"""Overview: every brand's place in the learning loop, and refresh-all."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import changes, formats, state, ui

NOTICE = "overview_notice"
PERCENT = "%.1f %%"  # a rate column holds percentages (rate x 100), one decimal, like formats.percent
RATE_COLUMNS = ("exploration_rate", "winner_rate", "approval_rate")
TABLE_COLUMNS = (
    "name", "brand_id", "organization_id", "cold_start_level", "matured_ads", "ads", "exploration_rate",
    "winner_rate", "approval_rate", "open_alerts", "acknowledged_alerts", "last_refresh",
)  # fmt: skip

ws = state.workspace()
st.title("Overview")
st.caption(
    "Every brand at a glance: how much it has learned (cold-start level, matured ads), how much it "
    "still explores, its winner rate, and its open and acknowledged alerts."
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
    approval_rate=np.where(decided > 0, overview["approved"] / decided.where(decided > 0, 1), np.nan),
    organization_id=overview["organization_id"].fillna(formats.MISSING),
)
table[list(RATE_COLUMNS)] *= 100  # shown as percentages with one decimal, as on every page
table = table[list(TABLE_COLUMNS)]

brands, ads, matured, open_alerts, acknowledged = st.columns(5)
brands.metric("Brands", formats.count(len(overview)))
ads.metric("Ads", formats.count(overview["ads"].sum()))
matured.metric(
    "Matured ads",
    formats.count(overview["matured_ads"].sum()),
    help="Ads whose CTR has matured into a reward.",
)
open_alerts.metric(
    "Open alerts",
    formats.count(table["open_alerts"].sum()),
    help="Alerts no one has acknowledged or resolved yet (the Alerts page counts the same).",
)
acknowledged.metric(
    "Acknowledged alerts",
    formats.count(table["acknowledged_alerts"].sum()),
    help="Alerts someone is looking into: still unresolved, no longer open.",
)

refresh, validate, _ = st.columns([1, 1, 3])
refresh_clicked = refresh.button(
    "Refresh all brands",
    type="primary",
    key="overview_refresh",
    help="Recompute rewards and posteriors of every brand from the performance data up to today.",
)
validate_clicked = validate.button(
    "Run validation",
    key="overview_validate",
    help="Recompute health metrics and open, update or resolve alerts.",
)
job_progress = st.container()  # a job shows its progress here, under the buttons, while the table stays

ui.paged_table(
    table.sort_values(
        ["open_alerts", "acknowledged_alerts", "name"], ascending=[False, False, True], kind="stable"
    ),
    key="overview_table",
    column_config={
        "name": st.column_config.TextColumn("Brand", pinned=True),
        "brand_id": "Brand id",
        "organization_id": "Organization",
        "cold_start_level": st.column_config.NumberColumn(
            "Cold-start level",
            help="Cold-start level 0–3 from the number of matured ads (see Exploration & cold start).",
        ),
        "matured_ads": st.column_config.NumberColumn("Matured ads", format="localized"),
        "ads": st.column_config.NumberColumn("Ads", format="localized"),
        "exploration_rate": st.column_config.NumberColumn(
            "Exploration",
            format=PERCENT,
            help="Share of element dimensions a recommendation explores; it falls as matured ads grow.",
        ),
        "winner_rate": st.column_config.NumberColumn(
            "Winner rate", format=PERCENT, help="Share of rewards at or above the winner threshold."
        ),
        "approval_rate": st.column_config.NumberColumn(
            "Approval rate", format=PERCENT, help="Approved among approved and rejected ads."
        ),
        "open_alerts": st.column_config.NumberColumn("Open alerts", format="localized"),
        "acknowledged_alerts": st.column_config.NumberColumn(
            "Acknowledged", format="localized", help="Acknowledged alerts: someone is looking into them."
        ),
        "last_refresh": st.column_config.DatetimeColumn("Last refresh (UTC)", format="YYYY-MM-DD HH:mm"),
    },
)
with job_progress:
    if refresh_clicked:
        ui.refresh_every_brand(NOTICE)
    if validate_clicked:
        ui.validate_every_brand(NOTICE)
st.caption("Pick a brand in the sidebar to see its elements, exploration and generation preview.")

changes.all_brands_section(ws)  # What changed across brands (dash-b)
