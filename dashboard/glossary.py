"""The words a marketer meets on the pages, explained once in plain language (shown in an expander)."""

from __future__ import annotations

import streamlit as st

from dashboard.charts import BORROWED_NOTE

EVIDENCE_WORDS = {  # genome's evidence kinds (own / borrowed / none) in the words every page shows
    "own": "Own ads",
    "borrowed": BORROWED_NOTE,
    "none": "No data yet (even odds)",
}
PRIOR_WORDS = {
    "uniform": "None (even odds)",
    "organization": "Same organization",
    "network": "All sharing brands",
}

TERMS: dict[str, str] = {
    "Mean reward": "How well ads with this value did so far, from 0 to 1 (our best single guess).",
    "95 % interval": "The range the true result very likely lies in; a wide range means we are still unsure.",
    "P(best)": "The chance this value is the best of its element, given what we know. Shown only for values "
    "with this brand's own ads.",
    "Own ads": "This brand's matured ads that used the value: the evidence behind its numbers.",
    "Borrowed": "No own ads yet: the numbers are other brands' results (brands that share data), a starting "
    "guess, never this brand's results. A borrowed value is never labelled Best.",
    "Label": "Best, Good, Low or Learning, by the rule written above the table.",
    "α / β (alpha / beta)": "The two counts behind each estimate (roughly good and poor results, plus the "
    "starting guess). They are in the CSV download; you do not need them to read the page.",
    "Thompson draw": "How a value is picked: each value gets a random guess drawn from what we know about "
    "it, and the highest guess wins. Values that did well win often; uncertain ones still get tried.",
    "Exploration": "Sometimes a value is picked at random instead, so new and rarely used values get a chance.",
    "Regret": "What a policy gives up compared with always using the truly best ads, in conversions per "
    "1,000 impressions. Lower is better.",
    "Seeds": "Each seed is one simulated brand with its own hidden truth. More seeds give a fairer comparison "
    "but take longer.",
}


def show(*terms: str, title: str = "What these words mean") -> None:
    """An expander explaining `terms` (keys of TERMS) in plain words."""
    with st.expander(title, icon=":material/help:"):
        st.markdown("\n".join(f"- **{term}**: {TERMS[term]}" for term in terms))
