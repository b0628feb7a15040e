"""Elements: what each element value has earned for the brand, with honest uncertainty."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state, ui

ws = state.workspace()
brand_id = ui.require_brand(ws, "elements")
ui.brand_heading(ws, brand_id, "Elements")

posteriors = ws.posteriors(brand_id)
if posteriors.empty:
    st.info(
        "No element scores for this brand yet, and nothing to borrow. Run a refresh on the Overview page "
        "once ads have performance data."
    )
    st.stop()
if not (posteriors["evidence"] == "own").any():
    st.info(
        "No own results yet (cold-start level 0): the values below show priors **borrowed** from brands that "
        "share data, or the uniform prior, never this brand's results. Run a refresh once its ads have matured.",
        icon=":material/info:",
    )

tracked = list(ws.settings.tracked_elements)
present = posteriors["element_name"].unique().tolist()
dimensions = [name for name in tracked if name in present] + sorted(set(present) - set(tracked))
dimension = st.segmented_control(
    "Dimension", dimensions, default=dimensions[0], required=True, key="elements_dimension"
)
rows = posteriors.loc[posteriors["element_name"] == dimension]

st.caption(f"**Labels.** {ui.md(state.label_rule(ws.settings))}")
st.dataframe(
    rows.drop(columns=["element_name"]),
    hide_index=True,
    column_config={
        "element_value": st.column_config.TextColumn("Value", pinned=True),
        "alpha": st.column_config.NumberColumn("α", format="%.2f"),
        "beta": st.column_config.NumberColumn("β", format="%.2f"),
        "mean": st.column_config.NumberColumn("Mean reward", format="%.3f"),
        "ci_low": st.column_config.NumberColumn("95 % CI low", format="%.3f"),
        "ci_high": st.column_config.NumberColumn("95 % CI high", format="%.3f"),
        "p_best": st.column_config.ProgressColumn(
            "P(best)",
            format="percent",
            min_value=0,
            max_value=1,
            help="Probability this value is the best of its dimension.",
        ),
        "observations": st.column_config.NumberColumn(
            "Ads", format="%.0f", help="Matured ads with this value."
        ),
        "label": "Label",
        "prior_source": st.column_config.TextColumn(
            "Prior", help="Where the prior came from: uniform, organization or network."
        ),
        "evidence": st.column_config.TextColumn(
            "Evidence",
            help="own: this brand's ads; borrowed: only a prior from sharing brands (never Best); none: nothing yet.",
        ),
    },
)

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.credible_interval_figure(posteriors, dimension), key="elements_forest")
with right:
    st.plotly_chart(charts.beta_density_figure(posteriors, dimension), key="elements_density")

st.subheader("Posterior history")
history = ws.score_history(brand_id)
st.plotly_chart(charts.posterior_history_figure(history, dimension), key="elements_history")

st.caption(
    f":material/warning: {charts.CORRELATIONAL_NOTE} A high score is a reason to try a value more, not proof it causes results."
)
st.download_button(
    "Download all posteriors (CSV)",
    posteriors.to_csv(index=False),
    file_name=f"posteriors-{ui.file_slug(brand_id)}.csv",
    mime="text/csv",
    key="elements_download",
    icon=":material/download:",
)
