"""Generation preview: the recommended elements (seeded, replayable), a score for any choice, the prompt text."""

from __future__ import annotations

import io
import json

import pandas as pd
import streamlit as st

from dashboard import formats, glossary, state, ui
from genome import ranking, vocabulary
from genome.errors import GenomeError, ValidationError

SEED_KEY = "preview_seed"
MAX_CHOICES = 100  # values offered per element in "Score a configuration"
MAX_SEED = 2**53 - 1  # the largest whole number a browser number input keeps exactly
EVIDENCE_NOTES = {  # what a recommendation rests on when it is not the brand's own results
    "borrowed": "Level 0: this brand has no own results yet, so the recommendation rests on priors **borrowed** "
    "from brands that share data, not on its own ads.",
    "none": "Level 0: no own results and nothing to borrow yet, so the recommendation is uniform over the known values.",
}


RANK_RESULT_KEY = "preview_rank_result"
RANK_EXAMPLE = (
    "template_id,base_score,template_category,hook_type\n"
    "carousel-01,0.62,product_showcase,question\n"
    "story-02,0.55,lifestyle,social_proof\n"
    "minimal-03,0.70,minimal_text,bold_claim\n"
)
RANK_MODE_LABELS = {
    "smart_select": f"Smart select (performance weighs {ranking.SMART_SELECT_WEIGHT:.0%})",
    "roll_the_dice": f"Roll the dice (performance weighs {ranking.ROLL_THE_DICE_WEIGHT:.0%})",
}
RANK_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", format="%d"),
    "template_id": "Template",
    "score": st.column_config.NumberColumn("Score", format="%.3f"),
    "base_score": st.column_config.NumberColumn(
        "Base score", format="%.3f", help="From the generator's other scorers; 0.5 when not given."
    ),
    "performance_score": st.column_config.NumberColumn(
        "Performance score", format="%.3f", help="Pre-generation score of the template's element values."
    ),
    "uncertainty": st.column_config.NumberColumn("± (sd)", format="%.3f"),
    "known_elements": st.column_config.NumberColumn("Scored elements", format="%d"),
    "own_elements": st.column_config.NumberColumn(
        "Scored from own ads", format="%d", help="Scored elements whose score rests on this brand's own ads."
    ),
    "evidence": st.column_config.TextColumn(
        "Evidence", help="Own ads, or borrowed from brands that share data (never this brand's results)."
    ),
    "elements": "Elements (posterior mean)",
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
            formats.title(name),
            values,
            index=values.index(default) if default in values else 0,
            key=f"preview_pick_{brand_id}_{seed}_{name}",
        )
    result = ws.pre_gen_score(brand_id, tuple(sorted(chosen.items())))
    breakdown = result.breakdown_frame()
    own = int((breakdown["known"] & (breakdown["evidence"] == "own")).sum())
    score, uncertainty, known = st.columns(3)
    score.metric(
        "Pre-generation score",
        f"{result.score:.3f}",
        help="Average mean reward of the chosen values that have scores (0 to 1); 0.500 when none has.",
    )
    uncertainty.metric(
        "Uncertainty (± sd)",
        f"{result.uncertainty:.3f}",
        help="How far the score may be off: one standard deviation. Smaller is surer.",
    )
    known.metric(
        "Scored elements (own ads)",
        f"{own} of {len(chosen)}",
        help=f"Chosen elements whose score rests on this brand's own ads; {result.known_elements - own} more "
        "rest on borrowed priors.",
    )
    if result.evidence != "own":
        st.warning(
            "This score rests on borrowed evidence: other brands' results or even odds, not this brand's ads."
            if result.evidence == "borrowed"
            else "Nothing is known about these values yet: the score is the neutral 0.500.",
            icon=":material/info:",
        )
    st.dataframe(
        breakdown.assign(
            evidence=breakdown["evidence"].map(glossary.EVIDENCE_WORDS),
            observations=breakdown["observations"].fillna(0).astype(int),
            **{c: [formats.decimal(v, 3) for v in breakdown[c]] for c in ("mean", "ci_low", "ci_high")},
        ).drop(columns=["known"]),  # unknown values read "—", never "None"
        hide_index=True,
        column_config={
            "element_name": "Element",
            "element_value": "Value",
            "mean": st.column_config.TextColumn("Mean reward"),
            "ci_low": st.column_config.TextColumn("95 % interval from"),
            "ci_high": st.column_config.TextColumn("to"),
            "observations": st.column_config.NumberColumn("Own ads", format="%d"),
            "status": "Status",
            "evidence": st.column_config.TextColumn(
                "Evidence",
                help="Own ads, or borrowed from brands that share data (never this brand's results).",
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
    f"**Seed `{seed}`** · exploration rate {formats.percent(recommendation.exploration_rate)} (cold-start level "
    f"{context.cold_start_level}). The same seed always gives the same draw."
)
if context.evidence in EVIDENCE_NOTES:
    st.info(EVIDENCE_NOTES[context.evidence], icon=":material/info:")
if not recommendation.elements:
    st.info(
        "Nothing to recommend yet: neither this brand nor any brand that shares data has tagged element values."
    )
    st.stop()
posteriors = ws.posteriors(brand_id)
order = vocabulary.dimension_order(posteriors["element_name"].unique(), ws.settings.tracked_elements)
evidence = posteriors.set_index(["element_name", "element_value"])[["evidence", "observations"]]
names = [name for name in order if name in recommendation.elements]
picked = evidence.reindex(list(zip(names, (recommendation.elements[n] for n in names), strict=True)))
st.dataframe(
    pd.DataFrame(
        {
            "element": names,
            "recommended value": [recommendation.elements[name] for name in names],
            "how": [
                "Explored (a random value)" if name in recommendation.explored else "Thompson draw"
                for name in names
            ],  # one per tracked dimension
            "evidence": picked["evidence"]
            .map(glossary.EVIDENCE_WORDS)
            .fillna(glossary.EVIDENCE_WORDS["none"])
            .to_numpy(),
            "own ads": picked["observations"].fillna(0).astype(int).to_numpy(),
        }
    ),
    hide_index=True,
    column_config={
        "element": "Element",
        "recommended value": "Recommended value",
        "how": st.column_config.TextColumn(
            "How it was picked",
            help="Thompson draw: each value gets a random guess from what we know about it, and the highest "
            "guess wins. Explored: a random value, so rarely used values still get a chance.",
        ),
        "evidence": "Evidence",
        "own ads": st.column_config.NumberColumn("Own ads", format="%d"),
    },
)
glossary.show("Thompson draw", "Exploration", "Own ads", "Borrowed", "Mean reward", "95 % interval")

ranked = posteriors.sort_values(
    ["p_best", "mean", "element_value"], ascending=[False, False, True], kind="stable"
)
top = ranked.groupby("element_name", sort=False).head(
    MAX_CHOICES
)  # the list sent never grows with the values
options = {
    name: list(
        dict.fromkeys([*top.loc[top["element_name"] == name, "element_value"], recommendation.elements[name]])
    )
    if name in recommendation.elements
    else top.loc[top["element_name"] == name, "element_value"].tolist()
    for name in order  # per dimension (a handful)
}
score_choice(ws, brand_id, seed, recommendation.elements, options)
if (posteriors.groupby("element_name").size() > MAX_CHOICES).any():
    st.caption(
        f"Each list offers an element's {MAX_CHOICES} values with the highest P(best) (and the recommended one); "
        "the Elements page finds any value, and Rank templates scores any value."
    )

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


def element_summary(breakdown: list[dict]) -> str:
    """One template's element values with their posterior means, e.g. "hook_type question 0.62"."""
    return "; ".join(
        f"{item['element_name']} {item['element_value']} "
        + (f"{item['mean']:.2f}" if item["known"] else f"({item['status']})")
        for item in breakdown
    )


def rank_candidates(
    ws: state.Workspace, brand_id: str, source: object, mode: str, weight: float | None
) -> None:
    """Rank and keep the outcome (a table, or the file's problems) for this brand across reruns."""
    try:
        ranked = ws.genome.rank_templates(brand_id, source, mode, weight)
    except ValidationError as exc:
        st.session_state[RANK_RESULT_KEY] = (brand_id, "problems", (pd.DataFrame(exc.problems), exc.total))
    except GenomeError as exc:
        st.session_state[RANK_RESULT_KEY] = (brand_id, "error", str(exc))
    else:
        st.session_state[RANK_RESULT_KEY] = (brand_id, "ranked", ranked)


def show_ranking(brand_id: str) -> None:
    outcome = st.session_state.get(RANK_RESULT_KEY)
    if outcome is None or outcome[0] != brand_id:
        return
    _, kind, payload = outcome
    if kind == "error":
        st.error(f"Could not rank: {ui.md(payload)}", icon=":material/warning:")
    elif kind == "problems":
        problems, total = payload
        st.error(
            f"The candidates were refused. Fix these {total:,} problems and rank again:",
            icon=":material/warning:",
        )
        ui.paged_table(
            problems,
            key="preview_rank_problems",
            column_config={
                "row": st.column_config.NumberColumn("Row", help="1-based data row; 0 means the whole file.")
            },
        )
    else:
        weight = float(payload["weight"].iloc[0])
        st.markdown(f"Score = {1 - weight:.2f} × base score + {weight:.2f} × performance score, best first.")
        note = ranking.evidence_note(payload)
        if note:
            st.info(note, icon=":material/info:")
        table = payload.drop(columns=["breakdown", "weight"]).assign(
            elements=[element_summary(items) for items in payload["breakdown"]],  # one per template
            own_elements=[
                sum(item["known"] and item["evidence"] == "own" for item in items)
                for items in payload["breakdown"]
            ],
            evidence=payload["evidence"].map(glossary.EVIDENCE_WORDS),
        )
        st.dataframe(table, hide_index=True, column_config=RANK_COLUMNS, key="preview_rank_table")


def rank_templates_section(ws: state.Workspace, brand_id: str) -> None:
    """Paste or upload candidate templates and rank them for this brand."""
    st.subheader("Rank templates")
    st.caption(
        "One row per candidate template: `template_id`, an optional `base_score` from 0 to 1 (what the "
        "generator's other scorers gave; 0.5 when left out) and one column per element (blank: not set). "
        "Each template's performance score is the pre-generation score of its element values."
    )
    source_kind = st.radio(
        "Candidates", ["Paste CSV text", "Upload a CSV file"], horizontal=True, key="preview_rank_source"
    )
    if source_kind == "Paste CSV text":
        text = st.text_area("Candidates CSV", value=RANK_EXAMPLE, height=140, key="preview_rank_text")
        source = io.StringIO(text)
    else:
        uploaded = st.file_uploader("Candidates CSV", type=["csv"], key="preview_rank_file")
        source = None if uploaded is None else io.BytesIO(uploaded.getvalue())
    mode_column, weight_column = st.columns(2)
    mode = mode_column.radio(
        "Mode", ranking.RANK_MODES, format_func=RANK_MODE_LABELS.get, key="preview_rank_mode"
    )
    weight = None
    if weight_column.checkbox("Set the weight myself", key="preview_rank_custom"):
        weight = weight_column.slider(
            "Weight of the performance score",
            0.0,
            1.0,
            ranking.MODE_WEIGHTS[mode],
            0.05,
            key="preview_rank_weight",
        )
    if st.button("Rank templates", type="primary", key="preview_rank_button", disabled=source is None):
        rank_candidates(ws, brand_id, source, mode, weight)
    show_ranking(brand_id)


rank_templates_section(ws, brand_id)
