"""Run the learning-quality study and write its tables and plots into docs/SIMULATION.md.

    .venv/bin/python bench/simulate_report.py            # the full study (a few minutes on 2 cores)
    .venv/bin/python bench/simulate_report.py --quick    # a smoke run with few seeds

The results block of docs/SIMULATION.md (between the RESULTS markers) is replaced; the plots go to
docs/img/sim_*.png when kaleido can drive a Chromium (BROWSER_PATH, default /usr/bin/chromium),
else to docs/img/sim_*.html.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genome.settings import Settings  # noqa: E402
from genome.simulation import (  # noqa: E402
    NetworkPrior,
    Policy,
    StudyConfig,
    StudyResult,
    bernoulli_check,
    default_policies,
    first_day_reaching,
    run_study,
)

DOC = ROOT / "docs" / "SIMULATION.md"
IMAGES = ROOT / "docs" / "img"
START, END = "<!-- RESULTS:START (written by bench/simulate_report.py) -->", "<!-- RESULTS:END -->"
COLOURS = ("#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
BERNOULLI_CASES = ((10, 0.1), (10, 0.02), (100, 0.1), (100, 0.02))  # (K, Δ) as in Chapelle & Li
HALF_LIVES = (60, 30, 14, 7)
CADENCES = (1, 3, 7)
REACH_LEVELS = (0.5, 0.75)
PRIOR_CAPS = (0, 50, 20, 10, 5)  # GENOME_PRIOR_MAX_WEIGHT values compared (0: no cap)
EXPLORATION_VARIANTS = ((0.0, 0.30, 100.0), (0.10, 0.30, 100.0), (0.05, 0.50, 100.0))  # (floor, start, scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few seeds and short horizons (smoke run)")
    args = parser.parse_args()
    scale = Scale.quick() if args.quick else Scale()
    writer = FigureWriter(IMAGES)
    sections: list[str] = []
    timings: list[tuple[str, float, int]] = []

    uniform, reference, genome, decay = default_policies(decay_half_life_days=30)
    no_floor = Policy("genome, no exploration floor", "thompson", explore=False)
    main_config = StudyConfig(days=scale.days, policies=(uniform, reference, genome, decay, no_floor))
    main = timed(
        timings, "main study", lambda: run_study(main_config, scale.seeds), len(main_config.policies)
    )
    sections.append(study_section("Main study", main, main_config, scale.seeds))
    writer.write(
        "sim_regret",
        curve_figure(
            main,
            "cumulative_regret",
            "Cumulative regret (conversions per 1,000 impressions, summed over ads)",
        ),
    )
    writer.write(
        "sim_best_share", curve_figure(main, "best_share", "Share of element choices at the true best value")
    )

    decays = (
        genome,
        *(Policy(f"decay {h}d", "thompson", decay_half_life_days=h) for h in HALF_LIVES),
        no_floor,
    )
    stationary_config = StudyConfig(days=scale.days, policies=(uniform, *decays))
    stationary = timed(
        timings,
        "half-life, no drift",
        lambda: run_study(stationary_config, scale.side_seeds),
        len(decays) + 1,
    )
    drift_config = replace(stationary_config, drift_day=scale.days // 2, drift_correlation=0.0)
    drift = timed(
        timings, "half-life, drift", lambda: run_study(drift_config, scale.side_seeds), len(decays) + 1
    )
    sections.append(half_life_section(stationary, drift, drift_config, scale.side_seeds))
    writer.write(
        "sim_drift",
        curve_figure(
            drift,
            "best_share",
            f"Best-value share, true effects redrawn on day {drift_config.drift_day}",
            drift_config.drift_day,
        ),
    )

    cadence_rows = []
    for every in CADENCES:
        config = StudyConfig(days=scale.days, refresh_every_days=every, policies=(uniform, genome))
        result = timed(
            timings, f"refresh every {every}d", lambda config=config: run_study(config, scale.side_seeds), 2
        )
        cadence_rows.append(result.summary.assign(refresh_every_days=every))
    sections.append(cadence_section(pd.concat(cadence_rows, ignore_index=True), scale.side_seeds))

    interaction_config = StudyConfig(days=scale.days, interaction_scale=0.3, policies=(uniform, genome))
    interaction = timed(timings, "interaction", lambda: run_study(interaction_config, scale.side_seeds), 2)
    sections.append(
        simple_section(
            "Interaction between hook type and colour mode",
            interaction,
            f"A pairwise logit interaction (sd 0.3) between the first two dimensions, {len(interaction.seeds)} seeds. "
            "The genome models element values independently, so the oracle *pair* can be missed.",
        )
    )

    prior_results = {
        agrees: timed(
            timings,
            f"borrowed prior, network {'agrees' if agrees else 'disagrees'}",
            lambda agrees=agrees: run_study(prior_config(scale.days, agrees), scale.side_seeds),
            len(prior_policies()),
        )
        for agrees in (False, True)
    }
    sections.append(prior_cap_section(prior_results, scale.side_seeds, writer.png))
    writer.write("sim_prior_cap", prior_cap_figure(prior_results[False]))

    checks = []
    for k, delta in BERNOULLI_CASES:
        checks.append(
            timed(
                timings,
                f"bernoulli K={k} Δ={delta}",
                lambda k=k, delta=delta: bernoulli_check(k, delta, scale.horizon, scale.bandit_seeds[k]),
                1,
            )
        )
    bernoulli = pd.concat(checks, ignore_index=True)
    sections.append(bernoulli_section(bernoulli, scale))
    writer.write("sim_bernoulli", bernoulli_figure(bernoulli))

    sections.append(timing_section(timings, writer))
    replace_results(DOC, "\n\n".join(sections))
    print(f"wrote {DOC.relative_to(ROOT)} and {', '.join(writer.written)}")


class Scale:
    """How big the runs are: the full study by default, a smoke run with `quick()`."""

    def __init__(
        self,
        seeds: int = 200,
        side_seeds: int = 100,
        days: int = 90,
        horizon: int = 100_000,
        bandit_seeds: tuple[int, int] = (50, 20),  # seeds for K = 10 and K = 100 (its spread is small)
    ) -> None:
        self.seeds, self.side_seeds, self.days = seeds, side_seeds, days
        self.horizon, self.bandit_seeds = horizon, dict(zip((10, 100), bandit_seeds, strict=True))

    @classmethod
    def quick(cls) -> Scale:
        return cls(seeds=10, side_seeds=6, days=30, horizon=2_000, bandit_seeds=(5, 3))


def timed(timings: list, label: str, run, policies: int):
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    timings.append((label, elapsed, cpu, policies))
    print(f"{label}: {elapsed:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    return result


def prior_policies() -> tuple[Policy, ...]:
    """No borrowing, the borrowed prior under each cap, and exploration variants at the default cap."""
    default_cap = Settings().prior_max_weight
    caps = tuple(
        Policy(f"cap {cap:g}" if cap else "no cap", "thompson", prior_max_weight=cap) for cap in PRIOR_CAPS
    )
    explorations = tuple(
        Policy(
            f"cap {default_cap:g}, exploration max({floor:g}, {start:g}·exp(−n/{scale:g}))",
            "thompson",
            prior_max_weight=default_cap,
            exploration=(floor, start, scale),
        )
        for floor, start, scale in EXPLORATION_VARIANTS
    )
    return (Policy("no borrowing", "thompson", borrow=False), *caps, *explorations)


def prior_config(days: int, agrees: bool) -> StudyConfig:
    return StudyConfig(days=days, policies=prior_policies(), network_prior=NetworkPrior(agrees=agrees))


# --- tables -------------------------------------------------------------------------------


def study_section(title: str, result: StudyResult, config: StudyConfig, seeds: int) -> str:
    dims = ", ".join(f"{name} {n}" for name, n in config.dimensions.items())
    intro = (
        f"{seeds} seeds × {config.days} days, {config.ads_per_day} ads a day, refresh every "
        f"{config.refresh_every_days} days, effect sd {config.effect_scale} (values per dimension: {dims})."
    )
    return f"### {title}\n\n{intro}\n\n{policy_table(result)}\n\n![Cumulative regret](img/sim_regret.png)\n\n![Best-value share](img/sim_best_share.png)"


def policy_table(result: StudyResult, drift_day: int | None = None) -> str:
    """The summary as markdown, with how many days the seed-mean best-value share takes to reach
    0.5 and 0.75 (counted from the drift day when there is one; '–' if it never does)."""
    start = drift_day or 0
    curves = result.curves[result.curves["day"] >= start]
    reach = {level: first_day_reaching(curves, "best_share", level) - start for level in REACH_LEVELS}
    since = " after drift" if drift_day is not None else ""
    rows = [
        "| policy | cumulative regret, mean ± sd (p10–p90) | × uniform | value lost | best-value share, last 7 days "
        f"| days{since} to best share {' / '.join(f'{level:g}' for level in REACH_LEVELS)} |"
        + (" regret after drift |" if drift_day is not None else ""),
        "|---|---|---|---|---|---|" + ("---|" if drift_day is not None else ""),
    ]
    for row in result.summary.itertuples():
        days = " / ".join(
            "–" if pd.isna(reach[level][row.policy]) else f"{reach[level][row.policy]:.0f}"
            for level in REACH_LEVELS
        )
        line = (
            f"| {row.policy} | {row.cumulative_regret_mean:.0f} ± {row.cumulative_regret_std:.0f} "
            f"({row.cumulative_regret_low:.0f}–{row.cumulative_regret_high:.0f}) | {row.regret_vs_uniform:.2f} | "
            f"{row.value_lost:.0%} | {row.best_share_final:.2f} ± {row.best_share_final_std:.2f} | {days} |"
        )
        if drift_day is not None:
            line += f" {row.regret_after_drift_mean:.0f} ± {row.regret_after_drift_std:.0f} |"
        rows.append(line)
    return "\n".join(rows)


def half_life_section(
    stationary: StudyResult, drift: StudyResult, drift_config: StudyConfig, seeds: int
) -> str:
    return (
        f"### Decay half-life\n\nThe same {seeds} seeds, {drift_config.days} days, with and without a drift "
        f"(every true effect redrawn, independently of the old one, on day {drift_config.drift_day}).\n\n"
        f"**No drift**\n\n{policy_table(stationary)}\n\n"
        f"**Drift on day {drift_config.drift_day}**\n\n{policy_table(drift, drift_config.drift_day)}\n\n"
        "![Best-value share through a drift](img/sim_drift.png)"
    )


def cadence_section(summary: pd.DataFrame, seeds: int) -> str:
    rows = ["| refresh every | genome regret × uniform | best-value share, last 7 days |", "|---|---|---|"]
    for row in summary[summary["policy"] != "uniform random"].itertuples():
        rows.append(
            f"| {row.refresh_every_days} d | {row.regret_vs_uniform:.2f} | {row.best_share_final:.2f} ± {row.best_share_final_std:.2f} |"
        )
    return (
        f"### Refresh cadence\n\n{seeds} seeds, genome (fractional) against uniform on the same worlds.\n\n"
        + "\n".join(rows)
    )


def prior_cap_section(results: dict[bool, StudyResult], seeds: int, image: bool) -> str:
    """Regret and recovery per cap when the network misleads (its favourite is the brand's worst
    value) and when it helps (its favourite is the brand's best), and the mean of the two."""
    network = NetworkPrior()
    tables, regret = [], {}
    for agrees, result in results.items():
        curves = result.curves.pivot_table(index=["policy", "day"], columns="metric", values="mean")
        summary = result.summary.set_index("policy")
        baseline = summary.loc["no borrowing", "cumulative_regret_mean"]
        rows = [
            "| policy | cumulative regret, mean ± sd | × no borrowing | days until the best value is chosen "
            "more often than the network's favourite | share at the true worst value, first week | "
            "best-value share, last 7 days |",
            "|---|---|---|---|---|---|",
        ]
        for policy, row in summary.iterrows():
            curve = curves.loc[policy]
            ahead = curve.index[curve["best_share"] > curve["worst_share"]]
            favourite = "best" if agrees else "worst"
            recovery = "–" if ahead.empty else f"{ahead.min():.0f}"
            rows.append(
                f"| {policy} | {row.cumulative_regret_mean:.0f} ± {row.cumulative_regret_std:.0f} | "
                f"{row.cumulative_regret_mean / baseline:.2f} | {recovery if favourite == 'worst' else 'n/a'} | "
                f"{curve['worst_share'].iloc[:7].mean():.2f} | {row.best_share_final:.2f} ± {row.best_share_final_std:.2f} |"
            )
            regret.setdefault(policy, {})[agrees] = row.cumulative_regret_mean
        title = (
            "**The network agrees** (its favourite is the brand's true best value)"
            if agrees
            else "**The network misleads** (its favourite is the brand's true worst value)"
        )
        tables.append(f"{title}\n\n" + "\n".join(rows))
    both = [
        "| policy | regret, network misleads | regret, network agrees | mean of the two |",
        "|---|---|---|---|",
    ] + [
        f"| {policy} | {values[False]:.0f} | {values[True]:.0f} | {(values[False] + values[True]) / 2:.0f} |"
        for policy, values in regret.items()
    ]
    intro = (
        f"A large sharing brand reports {network.observations:g} ads per value: mean reward "
        f"{network.favourite_reward} for its favourite value of each dimension, {network.other_reward} for every "
        "other. The brand borrows it by the genome's rule (`genome.priors.borrowed_prior`: shrinkage "
        f"{Settings().prior_shrinkage:g}, floor {Settings().prior_floor:g}, then the cap on α + β). Uncapped, "
        "that prior weighs about 300 pseudo-observations. Same worlds and seeds as the main study's model, "
        f"{seeds} seeds; the exploration rows use the default cap with other exploration-rate parameters."
    )
    return (
        "### Borrowed priors: the cap on their weight (GENOME_PRIOR_MAX_WEIGHT)\n\n"
        + intro
        + "\n\n"
        + "\n\n".join(tables)
        + "\n\n**Both scenarios**\n\n"
        + "\n".join(both)
        + ("\n\n![Best-value share under a misleading prior](img/sim_prior_cap.png)" if image else "")
    )


def simple_section(title: str, result: StudyResult, intro: str) -> str:
    return f"### {title}\n\n{intro}\n\n{policy_table(result)}"


def bernoulli_section(frame: pd.DataFrame, scale: Scale) -> str:
    rows = [
        "| K | Δ | seeds | regret at t = horizon, mean ± sd | Lai–Robbins bound | regret ÷ bound "
        "| regret slope ÷ bound slope, last decade |",
        "|---|---|---|---|---|---|---|",
    ]
    for (k, delta), case in frame.groupby(["k", "delta"], sort=False):
        last = case.iloc[-1]
        tenth = case[case["step"] <= last["step"] / 10].iloc[-1]
        slope = (last["regret_mean"] - tenth["regret_mean"]) / (last["lai_robbins"] - tenth["lai_robbins"])
        rows.append(
            f"| {k} | {delta} | {scale.bandit_seeds[k]} | {last['regret_mean']:.0f} ± {last['regret_std']:.0f} | {last['lai_robbins']:.0f} | "
            f"{last['regret_mean'] / last['lai_robbins']:.2f} | {slope:.2f} |"
        )
    return (
        f"### Bernoulli bandit check (Chapelle & Li 2011)\n\n`thompson_sample`, horizon {scale.horizon:,} steps, "
        "best arm 0.5, the others 0.5 − Δ. The slope column compares "
        "the growth of regret over the last tenfold of steps with the growth of the bound.\n\n"
        + "\n".join(rows)
        + "\n\n![Thompson sampling against the Lai–Robbins bound](img/sim_bernoulli.png)"
    )


def timing_section(timings: list[tuple[str, float, float, int]], writer: FigureWriter) -> str:
    rows = ["| run | policies | wall seconds | CPU seconds |", "|---|---|---|---|"]
    rows += [f"| {label} | {policies} | {wall:.1f} | {cpu:.1f} |" for label, wall, cpu, policies in timings]
    note = "" if writer.png else "\n\nPlots were written as HTML (kaleido could not render PNG here)."
    return "### Run time on this machine (2 cores, shared)\n\n" + "\n".join(rows) + note


def replace_results(path: Path, body: str) -> None:
    text = path.read_text() if path.exists() else f"# Simulation\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n\n{body}\n\n{END}{tail}")


# --- figures ------------------------------------------------------------------------------


def curve_figure(result: StudyResult, metric: str, title: str, drift_day: int | None = None) -> go.Figure:
    curves = result.curves[result.curves["metric"] == metric]
    figure = go.Figure()
    for index, (policy, frame) in enumerate(curves.groupby("policy", sort=False)):
        colour = COLOURS[index % len(COLOURS)]
        band_colour = f"rgba({int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},0.15)"
        figure.add_scatter(
            x=frame["day"], y=frame["high"], line={"width": 0}, showlegend=False, hoverinfo="skip"
        )
        figure.add_scatter(
            x=frame["day"],
            y=frame["low"],
            line={"width": 0},
            fill="tonexty",
            fillcolor=band_colour,
            showlegend=False,
            hoverinfo="skip",
        )
        figure.add_scatter(x=frame["day"], y=frame["mean"], name=policy, line={"color": colour, "width": 2})
    if drift_day is not None:
        figure.add_vline(x=drift_day, line_dash="dash", annotation_text="drift")
    figure.update_layout(
        title=f"{title}<br><sup>mean over {len(result.seeds)} seeds; band: 10th–90th percentile</sup>",
        xaxis_title="day",
        template="plotly_white",
        width=900,
        height=520,
        legend={"orientation": "h", "y": -0.18},
    )
    return figure


def prior_cap_figure(result: StudyResult) -> go.Figure:
    """Best-value share under a misleading network prior, one line per cap (exploration rows left out)."""
    caps = result.curves[~result.curves["policy"].str.contains("exploration")]
    return curve_figure(
        replace(result, curves=caps),
        "best_share",
        "Best-value share when the network's favourite is the brand's worst value",
    )


def bernoulli_figure(frame: pd.DataFrame) -> go.Figure:
    cases = list(frame.groupby(["k", "delta"], sort=False))
    figure = make_subplots(
        rows=2, cols=2, subplot_titles=[f"K = {k}, Δ = {delta}" for (k, delta), _ in cases]
    )
    for index, ((_k, delta), case) in enumerate(cases):
        row, col = divmod(index, 2)
        first = index == 0
        figure.add_scatter(
            x=case["step"],
            y=case["regret_high"],
            line={"width": 0},
            showlegend=False,
            row=row + 1,
            col=col + 1,
        )
        figure.add_scatter(
            x=case["step"],
            y=case["regret_low"],
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31,119,180,0.15)",
            showlegend=False,
            row=row + 1,
            col=col + 1,
        )
        figure.add_scatter(
            x=case["step"],
            y=case["regret_mean"],
            name="Thompson sampling",
            line={"color": COLOURS[2]},
            showlegend=first,
            row=row + 1,
            col=col + 1,
        )
        figure.add_scatter(
            x=case["step"],
            y=case["lai_robbins"],
            name="Lai–Robbins bound",
            showlegend=first,
            line={"color": "black", "dash": "dash"},
            row=row + 1,
            col=col + 1,
        )
        ceiling = delta * case["step"]  # the most any policy can lose: a suboptimal arm every step
        figure.add_scatter(
            x=case["step"],
            y=ceiling,
            name="Δ·t (worst possible)",
            showlegend=first,
            line={"color": "grey", "dash": "dot"},
            row=row + 1,
            col=col + 1,
        )
        top = max(case["regret_high"].max(), min(case["lai_robbins"].iloc[-1], ceiling.iloc[-1]))
        figure.update_yaxes(range=[0, 1.15 * top], row=row + 1, col=col + 1)
    figure.update_xaxes(type="log", title_text="step t")
    figure.update_yaxes(title_text="regret")
    figure.update_layout(
        title="Bernoulli bandit: regret of thompson_sample vs the Lai–Robbins lower bound",
        template="plotly_white",
        width=1000,
        height=720,
        legend={"orientation": "h", "y": -0.1},
    )
    return figure


class FigureWriter:
    """Writes PNG through kaleido (system Chromium) when it works, else standalone HTML."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written: list[str] = []
        os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
        self.png = _kaleido_works()

    def write(self, name: str, figure: go.Figure) -> None:
        path = self.folder / f"{name}.{'png' if self.png else 'html'}"
        if self.png:
            figure.write_image(path, scale=1)
        else:
            figure.write_html(path, include_plotlyjs="cdn")
        self.written.append(str(path.relative_to(ROOT)))


def _kaleido_works() -> bool:
    try:
        import kaleido  # noqa: F401
    except ImportError:
        print("kaleido is not installed: plots are written as HTML", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    main()
