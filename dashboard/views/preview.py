"""Generation preview: the recommended elements (seeded, replayable), a score for any choice, the prompt text."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import state, ui

SEED_KEY = "preview_seed"
MAX_SEED = 2**53 - 1  # the largest whole number a browser number input keeps exactly
EVIDENCE_NOTES = {  # what a recommendation rests on when it is not the brand's own results
    "borrowed": "Level 0: this brand has no own results yet, so the recommendation rests on priors **borrowed** "
    "from brands that share data, not on its own ads.",
    "none": "Level 0: no own results and nothing to borrow yet, so the recommendation is uniform over the known values.",
}


def draw_new_seed() -> None:
    st.session_state[SEED_KEY] = st.session_state["preview_seed_input"] = state.new_seed()


def use_typed_seed() -> None:
    st.session_state[SEED_KEY] = int(st.session_state["preview_seed_input"])


@st.fragment
def score_choice(
    ws: state.Workspace, brand_id: str, seed: int, recommended: dict[str, str], options: dict
) -> None:
    """Pick a value per dimension (starting from the recommendation) and see its pre-generation score."""
    st.subheader("Score a configuration")
    st.caption(
        "Change any element to see how the score moves. Values are the ones this brand has scores for, or "
        "may borrow from brands that share data (the breakdown's evidence column says which)."
    )
    columns = st.columns(3)
    chosen: dict[str, str] = {}
    for index, (name, values) in enumerate(options.items()):  # one selectbox per tracked dimension
        default = recommended.get(name)
        chosen[name] = columns[index % 3].selectbox(
            name,
            values,
            index=values.index(default) if default in values else 0,
            key=f"preview_pick_{brand_id}_{seed}_{name}",
        )
    result = ws.pre_gen_score(brand_id, tuple(sorted(chosen.items())))
    score, uncertainty, known = st.columns(3)
    score.metric(
        "Pre-generation score",
        f"{result.score:.3f}",
        help="Mean of the posterior means of the chosen values that have scores; 0.5 when none.",
    )
    uncertainty.metric("Uncertainty (± sd)", f"{result.uncertainty:.3f}")
    known.metric(
        "Scored elements", f"{result.known_elements} of {len(chosen)}", help=f"Evidence: {result.evidence}"
    )
    st.dataframe(
        result.breakdown_frame(),
        hide_index=True,
        column_config={
            "element_name": "Element",
            "element_value": "Value",
            "mean": st.column_config.NumberColumn("Mean reward", format="%.3f"),
            "ci_low": st.column_config.NumberColumn("95 % CI low", format="%.3f"),
            "ci_high": st.column_config.NumberColumn("95 % CI high", format="%.3f"),
            "observations": st.column_config.NumberColumn("Own ads", format="%.0f"),
            "evidence": st.column_config.TextColumn(
                "Evidence",
                help="own: this brand's ads; borrowed: a prior from sharing brands; none: nothing.",
            ),
        },
    )


ws = state.workspace()
brand_id = ui.require_brand(ws, "preview")
ui.brand_heading(ws, brand_id, "Generation preview")
if SEED_KEY not in st.session_state:
    draw_new_seed()
seed = int(st.session_state[SEED_KEY])
st.session_state.setdefault("preview_seed_input", seed)  # widget state is dropped while on other pages

draw, typed, apply = st.columns([1, 1, 1], vertical_alignment="bottom")
draw.button(
    "Draw a new recommendation",
    type="primary",
    key="preview_draw",
    on_click=draw_new_seed,
    icon=":material/casino:",
)
typed.number_input("Seed to reproduce", min_value=0, max_value=MAX_SEED, step=1, key="preview_seed_input")
apply.button("Use this seed", key="preview_use_seed", on_click=use_typed_seed)

recommendation = ws.recommendation(brand_id, seed)
context = ws.performance_context(brand_id, seed)
st.markdown(
    f"**Seed `{seed}`** · exploration rate {recommendation.exploration_rate:.0%} (cold-start level "
    f"{context.cold_start_level}). The same seed always gives the same draw."
)
if context.evidence in EVIDENCE_NOTES:
    st.info(EVIDENCE_NOTES[context.evidence], icon=":material/info:")
if not recommendation.elements:
    st.info(
        "Nothing to recommend yet: neither this brand nor any brand that shares data has tagged element values."
    )
    st.stop()
st.dataframe(
    pd.DataFrame(
        {
            "element": list(recommendation.elements),
            "recommended value": list(recommendation.elements.values()),
            "how": [
                "explored (random value)" if n in recommendation.explored else "Thompson draw"
                for n in recommendation.elements
            ],
        }
    ),
    hide_index=True,
)

posteriors = ws.posteriors(brand_id)
options = {
    name: group["element_value"].tolist()
    for name, group in posteriors.groupby("element_name", sort=False)  # per dimension (a handful)
}
score_choice(ws, brand_id, seed, recommendation.elements, options)

st.subheader("Prompt context")
prompt = context.to_prompt()
st.caption(
    "The exact text the generator puts in its prompt for this brand and seed (copy it with the icon on "
    "the right). It carries the seeded recommendation above; a hand-picked configuration is scored, not written here."
)
st.code(prompt, language=None, wrap_lines=True)
text_col, json_col, _ = st.columns([1, 1, 2])
text_col.download_button(
    "Download text",
    prompt,
    file_name=f"context-{ui.file_slug(brand_id)}-{seed}.txt",
    mime="text/plain",
    key="preview_download_text",
)
json_col.download_button(
    "Download JSON",
    json.dumps(context.to_dict(), indent=2),
    file_name=f"context-{ui.file_slug(brand_id)}-{seed}.json",
    mime="application/json",
    key="preview_download_json",
)
