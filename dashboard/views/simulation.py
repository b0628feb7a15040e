"""Simulation: how fast each policy finds what works in a simulated world where the truth is known."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from genome.simulation import StudyConfig, default_policies, run_study

RESULT_KEY = "simulation_result"

st.title("Simulation")
st.caption(
    "Simulated brands whose true element effects are known, so we can measure what each policy gives up "
    "(regret) against always choosing the best configuration. Nothing here touches the workspace."
)

policies = {policy.name: policy for policy in default_policies()}
with st.form("simulation_form"):
    days_col, ads_col, seeds_col = st.columns(3)
    days = days_col.slider("Days", 14, 180, 60, step=1, key="simulation_days")
    ads_per_day = ads_col.slider("Ads per day", 1, 50, 10, key="simulation_ads_per_day")
    seeds = seeds_col.slider("Simulated brands (seeds)", 1, 20, 4, key="simulation_seeds")
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
st.plotly_chart(charts.study_curve_figure(result.curves, "cumulative_regret"), key="simulation_regret")
st.plotly_chart(charts.study_curve_figure(result.curves, "best_share"), key="simulation_best_share")
st.subheader("At the horizon")
summary = result.summary if "policy" in result.summary.columns else result.summary.reset_index()
st.dataframe(
    summary,
    hide_index=True,
    column_order=[
        "policy", "cumulative_regret_mean", "cumulative_regret_low", "cumulative_regret_high", "value_lost",
        "best_share_final",
    ],
    column_config={
        "policy": "Policy",
        "cumulative_regret_mean": st.column_config.NumberColumn("Cumulative regret (mean)", format="%.1f"),
        "cumulative_regret_low": st.column_config.NumberColumn("10th percentile", format="%.1f"),
        "cumulative_regret_high": st.column_config.NumberColumn("90th percentile", format="%.1f"),
        "value_lost": st.column_config.NumberColumn("Value lost", format="percent"),
        "best_share_final": st.column_config.NumberColumn("At true best (final week)", format="percent"),
    },
)  # fmt: skip
st.caption(
    "Regret is in conversions per 1,000 impressions given up against the best configuration, summed over ads."
)
