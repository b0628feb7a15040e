"""Exploration & cold start: how far the brand's own data can be trusted, and where its priors come from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, formats, glossary, state, ui
from genome import coldstart, vocabulary
from genome.priors import prior_rule

PRIOR_SOURCES = {
    "uniform": "Beta(1, 1): nothing to borrow yet.",
    "organization": "Pooled from brands of the same organization that share data.",
    "network": "Pooled from every brand that shares data (no same-organization contributor had the value).",
}

ws = state.workspace()
brand_id = ui.require_brand(ws, "exploration")
ui.brand_heading(ws, brand_id, "Exploration & cold start")

cold = ws.cold_start(brand_id)
exploration = coldstart.exploration_parameters(ws.settings)
exploration_rule = coldstart.exploration_rule(**exploration)
level, matured, rate = st.columns(3)
level.metric("Cold-start level", f"{cold.level} of 3")
matured.metric("Matured ads", formats.count(cold.matured_ads))
rate.metric("Exploration rate", formats.percent(cold.exploration_rate), help=exploration_rule)
st.info(cold.rule, icon=":material/explore:")

names = ws.brand_names()
st.plotly_chart(
    charts.exploration_curve_figure(cold.matured_ads, names.get(brand_id, brand_id), exploration),
    key="exploration_curve",
)
st.caption(exploration_rule)
levels = pd.DataFrame({"level": list(state.LEVEL_RULES), "rule": list(state.LEVEL_RULES.values())})
st.dataframe(
    levels.assign(current=levels["level"] == cold.level),
    hide_index=True,
    column_config={
        "level": st.column_config.NumberColumn("Level", format="%d"),
        "rule": "Rule",
        "current": st.column_config.CheckboxColumn("This brand"),
    },
)

st.subheader("Priors in use")
priors = ws.priors(brand_id)
priors_rule = prior_rule(ws.settings)
brand = ws.brands().set_index("id").loc[brand_id]
st.caption(
    priors_rule
    + f" This brand {'shares' if bool(brand.get('cross_brand_sharing', False)) else 'does not share'} "
    "its own data with others. **Borrowed** values have no own ads yet: their numbers are other brands' "
    "results, never this brand's, and they are never labelled Best."
)
if priors.empty:
    st.info("Nothing to borrow yet: no brand that shares data has results, and this brand has no tagged ads.")
else:
    counts = priors["prior_source"].value_counts()
    for column, (source, meaning) in zip(st.columns(len(PRIOR_SOURCES)), PRIOR_SOURCES.items(), strict=True):
        column.metric(
            glossary.PRIOR_WORDS[source], formats.count(counts.get(source, 0), "value"), help=meaning
        )
    source = st.selectbox(
        "Show priors from",
        ["all", *PRIOR_SOURCES],
        format_func=lambda key: "Every source" if key == "all" else glossary.PRIOR_WORDS[key],
        key="exploration_prior_source",
    )
    shown = priors if source == "all" else priors.loc[priors["prior_source"] == source]
    order = {
        name: rank
        for rank, name in enumerate(
            vocabulary.dimension_order(shown["element_name"].unique(), ws.settings.tracked_elements)
        )
    }
    shown = (
        shown.assign(
            evidence=shown["evidence"].map(glossary.EVIDENCE_WORDS),
            prior_source=shown["prior_source"].map(glossary.PRIOR_WORDS).fillna(shown["prior_source"]),
            _order=shown["element_name"].map(order),
        )
        .sort_values(["_order", "element_value"], kind="stable")
        .drop(columns="_order")
    )
    glossary.show("Borrowed", "Own ads", "α / β (alpha / beta)")
    ui.paged_table(
        shown,
        key="exploration_priors",
        column_config={
            "element_name": "Element",
            "element_value": "Value",
            "prior_alpha": st.column_config.NumberColumn(
                "Borrowed good results (α)",
                format="%.2f",
                help="Pseudo-counts of good results in the starting guess.",
            ),
            "prior_beta": st.column_config.NumberColumn(
                "Borrowed poor results (β)",
                format="%.2f",
                help="Pseudo-counts of poor results in the starting guess.",
            ),
            "prior_source": "Borrowed from",
            "total_observations": st.column_config.NumberColumn("Own ads", format="%d"),
            "evidence": st.column_config.TextColumn(
                "Evidence",
                help="Own ads, or borrowed from brands that share data (never this brand's results).",
            ),
        },
    )
