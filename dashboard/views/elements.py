"""Elements: what each element value has earned for the brand, with honest uncertainty.

A dimension may hold thousands of values: the page shows VALUES_PER_PAGE of them at a time (best
P(best) first, searchable), and its table and charts draw only those, so nothing sent to the
browser grows with the number of values.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import changes, charts, formats, glossary, state, ui
from genome import vocabulary

VALUES_PER_PAGE = charts.MAX_DENSITY_CURVES


def value_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The shown values in words: P(best) only where the brand has own ads (never a bar for borrowed)."""
    own = rows["evidence"] == "own"
    return pd.DataFrame(
        {
            "element_value": rows["element_value"].to_numpy(),
            "label": rows["label"].to_numpy(),
            "evidence": rows["evidence"].map(glossary.EVIDENCE_WORDS).to_numpy(),
            "observations": rows["observations"].astype(int).to_numpy(),
            "mean": rows["mean"].to_numpy(),
            "ci_low": rows["ci_low"].to_numpy(),
            "ci_high": rows["ci_high"].to_numpy(),
            "p_best": [
                formats.percent(p) if o else formats.MISSING for p, o in zip(rows["p_best"], own, strict=True)
            ],
            "prior_source": rows["prior_source"]
            .map(glossary.PRIOR_WORDS)
            .fillna(rows["prior_source"])
            .to_numpy(),
        }
    )  # one page of rows


def page_of_values(rows: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """A search box and a pager over the dimension's values (best first); the rows of this page."""
    search = st.text_input(
        "Find a value", key=f"elements_search_{dimension}", placeholder="Type part of a value"
    ).strip()
    matches = (
        rows.loc[rows["element_value"].str.contains(search, case=False, regex=False)] if search else rows
    )
    matches = matches.sort_values(
        ["p_best", "mean", "element_value"], ascending=[False, False, True], kind="stable"
    )
    if matches.empty:
        st.info(
            f"No value of {ui.md(formats.title(dimension))} contains “{ui.md(search)}”.",
            icon=":material/search_off:",
        )
        return matches
    pages = max(1, math.ceil(len(matches) / VALUES_PER_PAGE))
    page = st.pagination(pages, key=f"elements_page_{dimension}") if pages > 1 else 1
    start = (page - 1) * VALUES_PER_PAGE
    shown = matches.iloc[start : start + VALUES_PER_PAGE]
    st.caption(
        f"Values {start + 1:,}–{start + len(shown):,} of {len(matches):,}"
        + (f" matching “{ui.md(search)}”" if search else "")
        + ", highest P(best) first. The table and the charts show these values."
    )
    return shown


ws = state.workspace()
brand_id = ui.require_brand(ws, "elements")
ui.brand_heading(ws, brand_id, "Elements")

posteriors = ws.posteriors(brand_id)
if posteriors.empty:
    st.info(
        "No element scores for this brand yet, and nothing to borrow. Run a refresh on the Overview page "
        "once ads have performance data.",
        icon=":material/info:",
    )
    st.stop()
if not (posteriors["evidence"] == "own").any():
    st.info(
        "No own results yet (cold-start level 0): the values below show priors **borrowed** from brands that "
        "share data, or even odds, never this brand's results. Run a refresh once its ads have matured.",
        icon=":material/info:",
    )

dimensions = vocabulary.dimension_order(posteriors["element_name"].unique(), ws.settings.tracked_elements)
dimension = st.segmented_control(
    "Dimension",
    dimensions,
    default=dimensions[0],
    required=True,
    format_func=formats.title,
    key="elements_dimension",
)
rows = posteriors.loc[posteriors["element_name"] == dimension]
history = ws.score_history(brand_id)
colours = charts.colour_map(  # one colour per value on every chart of the page
    pd.concat([rows["element_value"], history.loc[history["element_name"] == dimension, "element_value"]])
)

st.caption(f"**Labels.** {ui.md(state.label_rule(ws.settings))}")
glossary.show(
    "Mean reward", "95 % interval", "P(best)", "Own ads", "Borrowed", "Label", "α / β (alpha / beta)"
)
shown = page_of_values(rows, dimension)
if not shown.empty:
    st.dataframe(
        value_table(shown),
        hide_index=True,
        key="elements_table",
        column_config={
            "element_value": st.column_config.TextColumn("Value", pinned=True),
            "label": "Label",
            "evidence": st.column_config.TextColumn("Evidence", help="Own ads, or borrowed from brands that share data."),
            "observations": st.column_config.NumberColumn("Own ads", format="%d", help="This brand's matured ads with the value."),
            "mean": st.column_config.NumberColumn("Mean reward", format="%.3f"),
            "ci_low": st.column_config.NumberColumn("95 % interval from", format="%.3f"),
            "ci_high": st.column_config.NumberColumn("to", format="%.3f"),
            "p_best": st.column_config.TextColumn(
                "P(best)", help="Chance this value is the best of its element; only for values with own ads."
            ),
            "prior_source": st.column_config.TextColumn("Borrowed from", help="Where the starting guess came from."),
        },
    )  # fmt: skip
    values = shown["element_value"].tolist()
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.credible_interval_figure(shown, dimension, colours), key="elements_forest")
    with right:
        st.plotly_chart(
            charts.beta_density_figure(shown, dimension, VALUES_PER_PAGE, colours), key="elements_density"
        )
    st.subheader("Posterior history", anchor=False)
    st.plotly_chart(
        charts.posterior_history_figure(history, dimension, values, colours), key="elements_history"
    )

st.caption(
    f":material/warning: {charts.CORRELATIONAL_NOTE} A high score is a reason to try a value more, not proof it causes results."
)
changes.brand_section(ws, brand_id)
st.download_button(
    "Download all posteriors (CSV)",
    lambda: posteriors.to_csv(index=False),  # made on click: thousands of values cost nothing per rerun
    file_name=f"posteriors-{ui.file_slug(brand_id)}.csv",
    mime="text/csv",
    key="elements_download",
    icon=":material/download:",
)
