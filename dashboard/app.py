"""Creative Genome dashboard: `streamlit run dashboard/app.py`.

The entrypoint asks for sign-in when it is configured (dashboard/auth.py), opens the workspace,
renders the brand selector every page shares, and hands over to the page the visitor chose. Each page lives in views/ and reads like a description of its UI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
FAVICON = Path(__file__).resolve().parent / "favicon.png"  # shipped: the tab icon works offline
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

from dashboard import auth, state, ui  # noqa: E402  (needs the path above)

st.set_page_config(page_title="Creative Genome", page_icon=str(FAVICON), layout="wide")
operator = auth.current_operator()  # with sign-in configured, stops here until the visitor signs in

PAGES = {
    "Marketing": [
        st.Page("views/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("views/elements.py", title="Elements", icon=":material/extension:"),
        st.Page("views/exploration.py", title="Exploration & cold start", icon=":material/explore:"),
    ],
    "Operations": [
        st.Page("views/alerts.py", title="Alerts", icon=":material/notifications_active:"),
        st.Page("views/data.py", title="Data", icon=":material/upload_file:"),
        st.Page("views/brands.py", title="Brands", icon=":material/storefront:"),
    ],
    "Generation": [
        st.Page("views/preview.py", title="Generation preview", icon=":material/auto_awesome:"),
        st.Page("views/simulation.py", title="Simulation", icon=":material/casino:"),
    ],
}

page = st.navigation(PAGES)
ws = state.workspace()
brands = ws.brands()
with st.sidebar:
    if brands.empty:
        st.caption("No brands yet: load the demo or import data.")
    else:
        ids = brands["id"].tolist()
        names = pd.Series(ws.brand_names(), dtype=object)
        labels = names.where(~names.duplicated(keep=False), names + " · " + names.index)  # shared names: + id
        if st.session_state.get(state.BRAND_WIDGET_KEY) not in ids:
            current = state.selected_brand()
            st.session_state[state.BRAND_WIDGET_KEY] = current if current in ids else ids[0]
        chosen = st.selectbox(
            "Brand",
            ids,
            key=state.BRAND_WIDGET_KEY,
            format_func=lambda brand_id: labels.get(brand_id, brand_id),
            help="The brand the Elements, Exploration and Generation preview pages show. Type to search.",
        )
        st.session_state[state.BRAND_KEY] = chosen
        st.caption(f"{ui.md(labels.get(chosen, chosen))} · id `{chosen.replace('`', '')}`")  # the full name
    st.caption(f"Workspace: {ui.md(ws.url)}")
    auth.sidebar(operator)
    for notice in ws.genome.notices:  # e.g. an empty file was set up, or the file is read-only here
        st.warning(ui.md(notice), icon=":material/info:")
page.run()
