"""Simulation: how fast each policy finds what works in a simulated world where the truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from scipy import stats

from dashboard import charts, formats, glossary, ui
from genome.simulation import StudyConfig, default_policies, run_study

RESULT_KEY = "simulation_result"
DEFAULT_SEEDS = 20  # about 2 s, and enough for a mean with an interval that means something
_DEFAULTS = default_policies()
REFERENCE, SHIPPED = _DEFAULTS[1].name, _DEFAULTS[2].name  # the reference's binary rule; the shipped default


def regret_interval(runs: pd.DataFrame) -> pd.DataFrame:
    """Per policy: mean cumulative regret at the horizon and the half-width of its 95 % interval over seeds."""
    final = runs.loc[runs["day"] == runs["day"].max()].groupby("policy", sort=False)["cumulative_regret"]
    count = final.count()
    half = stats.t.ppf(0.975, (count - 1).clip(lower=1)) * final.std() / np.sqrt(count)
    return pd.DataFrame({"mean": final.mean(), "half": half.where(count > 1)})


def comparison(runs: pd.DataFrame, first: str, second: str) -> str:
    """The paired difference of cumulative regret (same simulated brands) between two policies, in words."""
    final = runs.loc[runs["day"] == runs["day"].max()].pivot(
        index="seed", columns="policy", values="cumulative_regret"
    )
    difference = final[first] - final[second]
    n = len(difference)
    if n < 2:
        return "One seed is one simulated brand: too few to compare policies. Run 20 or more seeds."
    half = float(stats.t.ppf(0.975, n - 1) * difference.std() / np.sqrt(n))
    mean = float(difference.mean())
    if abs(mean) <= half:
        return (
            f"With {n} seeds the difference between **{first}** and **{second}** is within noise "
            f"({formats.decimal(mean, 1)} ± {formats.decimal(half, 1)} regret): run more seeds (20 or more, "
            "and more again while it stays within noise) before drawing a conclusion."
        )
    better, worse = (first, second) if mean < 0 else (second, first)
    return (
        f"Over {n} seeds **{better}** gives up {formats.decimal(abs(mean), 1)} less regret than **{worse}** "
        f"(95 % interval ± {formats.decimal(half, 1)}), on the same simulated brands."
    )


st.title("Simulation")
st.caption(
    "Simulated brands whose true element effects are known, so we can measure what each policy gives up "
    "(regret) against always choosing the best configuration. Nothing here touches the workspace."
)
glossary.show("Regret", "Seeds")

policies = {policy.name: policy for policy in default_policies()}
with st.form("simulation_form"):
    days_col, ads_col, seeds_col = st.columns(3)
    days = days_col.slider("Days", 14, 180, 60, step=1, key="simulation_days")
    ads_per_day = ads_col.slider("Ads per day", 1, 50, 10, key="simulation_ads_per_day")
    seeds = seeds_col.slider(
        "Simulated brands (seeds)",
        1,
        50,
        DEFAULT_SEEDS,
        key="simulation_seeds",
        help="Each seed is one simulated brand. Fewer than 20 are usually too few to tell policies apart.",
    )
    effect_col, refresh_col, drift_col = st.columns(3)
    effect_scale = effect_col.slider(
        "Effect size (logit sd)", 0.0, 0.5, 0.15, step=0.01, key="simulation_effect",
        help="How much element values truly differ; 0 means nothing to find.",
    )  # fmt: skip
    refresh_every = refresh_col.slider("Refresh every (days)", 1, 14, 3, key="simulation_refresh")
    drift = drift_col.toggle(
        "Effects reverse halfway",
        key="simulation_drift",
        help="Tests how policies recover from a change in taste.",
    )
    chosen = st.multiselect("Policies", list(policies), default=list(policies), key="simulation_policies")
    submitted = st.form_submit_button("Run simulation", type="primary")

if submitted:
    if not chosen:
        st.error("Choose at least one policy.")
    else:
        config = StudyConfig(
            days=days,
            ads_per_day=ads_per_day,
            refresh_every_days=refresh_every,
            effect_scale=effect_scale,
            drift_day=days // 2 if drift else None,
            drift_correlation=-1.0 if drift else 0.0,
            policies=tuple(policies[name] for name in chosen),
        )
        bar = st.progress(0.0, text="Simulating…")
        try:
            result = run_study(
                config,
                seeds,
                progress=lambda done: bar.progress(min(done, 1.0), text=f"Simulating… {done:.0%}"),
            )
        except ValueError as exc:
            bar.empty()
            st.error(f"This setting cannot be simulated: {ui.md(exc)}")
        else:
            bar.empty()
            st.session_state[RESULT_KEY] = result

result = st.session_state.get(RESULT_KEY)
if result is None:
    st.info(
        "Choose a setting and run the simulation: a small one takes a few seconds.", icon=":material/casino:"
    )
    st.stop()

config = result.config
st.success(
    f"{len(result.seeds)} simulated brands × {config.days} days × {config.ads_per_day} ads a day, "
    f"refreshing every {config.refresh_every_days} days.",
    icon=":material/check_circle:",
)
colours = charts.colour_map(list(policies))  # a policy keeps its colour whichever policies ran
st.plotly_chart(
    charts.study_curve_figure(result.curves, "cumulative_regret", colours), key="simulation_regret"
)
st.plotly_chart(charts.study_curve_figure(result.curves, "best_share", colours), key="simulation_best_share")
st.subheader("At the horizon", anchor=False)
if {SHIPPED, REFERENCE} <= set(result.summary["policy"]):
    st.info(comparison(result.runs, SHIPPED, REFERENCE), icon=":material/balance:")
summary = result.summary.set_index("policy")
interval = regret_interval(result.runs).reindex(summary.index)
st.dataframe(
    pd.DataFrame(
        {
            "Policy": summary.index,
            "Cumulative regret": [
                f"{formats.decimal(m, 1)} ± {formats.decimal(h, 1)}" if pd.notna(h) else formats.decimal(m, 1)
                for m, h in zip(interval["mean"], interval["half"], strict=True)
            ],  # a few policies
            "10th percentile": summary["cumulative_regret_low"].to_numpy(),
            "90th percentile": summary["cumulative_regret_high"].to_numpy(),
            "Value lost": [formats.percent(v) for v in summary["value_lost"]],
            "At true best (final week)": [formats.percent(v) for v in summary["best_share_final"]],
        }
    ),
    hide_index=True,
    column_config={
        "Cumulative regret": st.column_config.TextColumn(
            "Cumulative regret (mean ± 95 % interval)", help="Over the simulated brands; lower is better."
        ),
        "10th percentile": st.column_config.NumberColumn(format="%.1f"),
        "90th percentile": st.column_config.NumberColumn(format="%.1f"),
        "Value lost": st.column_config.TextColumn(help="Share of the best configuration's value given up."),
    },
)
st.caption(
    "Regret is in conversions per 1,000 impressions given up against the best configuration, summed over ads. "
    "The ± is the 95 % interval of the mean over seeds; the percentiles show how much single brands vary."
)
