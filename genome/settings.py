"""Every setting in one list: name, default, help. Read from the environment (and st.secrets).

`Settings.load(mapping)` is the only place raw strings become typed values; a bad value raises
`SettingsError` naming the setting and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from genome.redaction import MASK, is_url, redact_url

PosteriorMode = Literal["fractional", "binary"]

DEFAULT_TRACKED_ELEMENTS = (
    "hook_type",
    "color_mode",
    "template_category",
    "awareness_stage",
    "canvas_size",
    "content_source",
)


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Setting:
    """One setting; `secret` when its value can carry a credential (a key, or a URL with a password or
    token): then it is only ever shown through `shown_value`."""

    name: str
    default: str
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "GENOME_DATABASE_URL",
        "sqlite:///genome.db",
        "Where the genome lives: sqlite:///path, postgresql://…, or a https://<ref>.supabase.co URL.",
        secret=True,
    ),
    Setting(
        "SUPABASE_URL", "", "Supabase project URL, used when GENOME_DATABASE_URL is not set.", secret=True
    ),
    Setting(
        "SUPABASE_SECRET_KEY",
        "",
        "Supabase secret key for the REST backend (never logged or shown).",
        secret=True,
    ),
    Setting(
        "GENOME_TRACKED_ELEMENTS",
        ",".join(DEFAULT_TRACKED_ELEMENTS),
        "Comma-separated element names that are learned; other tags are kept but ignored.",
    ),
    Setting(
        "GENOME_POSTERIOR_MODE",
        "fractional",
        "fractional: Beta(α + Σw·r, β + Σw·(1−r)); binary: reward ≥ 0.5 adds w to α, else to β.",
    ),
    Setting(
        "GENOME_DECAY_HALF_LIFE_DAYS",
        "0",
        "Half-life in days for down-weighting old ads (w × 0.5^(age/half-life)); 0 turns decay off.",
    ),
    Setting("GENOME_IMPORTED_AD_WEIGHT", "0.3", "Weight of an imported (not generated) ad's reward."),
    Setting("GENOME_MIN_IMPRESSIONS", "500", "Impressions an ad needs before any metric is mature."),
    Setting("GENOME_CTR_MATURITY_DAYS", "3", "Days since first delivery before CTR is mature."),
    Setting(
        "GENOME_CONVERSION_MATURITY_DAYS", "7", "Days since first delivery before conversion rate is mature."
    ),
    Setting("GENOME_ROAS_MATURITY_DAYS", "10", "Days since first delivery before ROAS is mature."),
    Setting(
        "GENOME_BASELINE_MIN_ADS",
        "20",
        "Matured ads a brand needs before its own p25/p75 replace the default baselines.",
    ),
    Setting("GENOME_PRIOR_SHRINKAGE", "0.3", "Cross-brand prior = 1 + shrinkage × (pooled − 1)."),
    Setting("GENOME_PRIOR_FLOOR", "0.5", "Smallest cross-brand prior α or β."),
    Setting(
        "GENOME_PRIOR_MAX_WEIGHT",
        "10",
        "Most pseudo-observations (α + β) a borrowed prior may carry, applied after shrinkage and floor "
        "by scaling α and β together (mean kept), so a brand's own ads dominate as it matures; 0 turns the cap off.",
    ),
    Setting("GENOME_EXPLORATION_START", "0.30", "Exploration rate of a brand with no matured ads."),
    Setting("GENOME_EXPLORATION_FLOOR", "0.05", "The exploration rate never falls below this."),
    Setting(
        "GENOME_EXPLORATION_SCALE_ADS",
        "100",
        "Exploration rate = max(floor, start × exp(−n / scale)) for n matured ads.",
    ),
    Setting(
        "GENOME_LABEL_MIN_OBSERVATIONS", "5", "Below this many observations a value is labelled Learning."
    ),
    Setting("GENOME_PROB_BEST_DRAWS", "10000", "Monte Carlo draws for P(best)."),
    Setting("GENOME_WINNER_THRESHOLD", "0.7", "A reward at or above this counts as a winner."),
    Setting(
        "GENOME_HEALTH_WINDOW_DAYS", "30", "Days of ads that approval and generation-success rates look at."
    ),
    Setting(
        "GENOME_MIN_RATE_SAMPLE",
        "10",
        "Ads a rate (approval, generation success, winner) needs before it can raise an alert.",
    ),
    Setting(
        "GENOME_ALERT_APPROVAL_RATE", "0.20,0.10", "Warning,critical: alert when approval rate is below."
    ),
    Setting(
        "GENOME_ALERT_GENERATION_SUCCESS_RATE",
        "0.70,0.50",
        "Warning,critical: alert when generation success rate is below.",
    ),
    Setting(
        "GENOME_ALERT_DATA_FRESHNESS_DAYS",
        "14,30",
        "Warning,critical: alert when days since the newest rewarded performance are above.",
    ),
    Setting(
        "GENOME_ALERT_WINNER_RATE", "0.05,0.02", "Warning,critical: alert when the winner rate is below."
    ),
    Setting(
        "GENOME_ALERT_PREDICTION_ACCURACY",
        "0.40,0.25",
        "Warning,critical: alert when Spearman(pre-gen score, reward) is below (needs ≥ 20 pairs).",
    ),
    Setting(
        "GENOME_DB_TIMEOUT_SECONDS",
        "5",
        "Seconds to wait for a remote database (connecting, a locked row or table, a silent connection); one statement may run 6× as long.",
    ),
    Setting(
        "GENOME_JOB_WAIT_SECONDS",
        "60",
        "Seconds a write waits for a running job (refresh, validation, import) to finish before giving up.",
    ),
    Setting(
        "GENOME_ALERT_WEBHOOK_URL",
        "",
        "Where alert changes are POSTed as JSON after each validation (a Slack incoming webhook works as is); never shown.",
        secret=True,
    ),
    Setting(
        "GENOME_DAILY_EXPECTED_HOURS",
        "26",
        "Hours after the last `daily` run before the Overview page warns that the scheduled job is overdue.",
    ),
)

SETTING_NAMES = frozenset(s.name for s in SETTINGS)


def shown_value(setting: Setting, value: str) -> str:
    """`value` of `setting` as it may be shown anywhere: a secret URL with its credentials replaced by
    ***, any other secret masked whole, everything else as it is."""
    if not setting.secret or not value:
        return value
    return redact_url(value) if is_url(value) else MASK


@dataclass(frozen=True)
class Thresholds:
    """A (warning, critical) pair; `below` says which direction breaches."""

    warning: float
    critical: float
    below: bool


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default="sqlite:///genome.db", repr=False)  # may hold a password
    supabase_url: str = field(default="", repr=False)
    supabase_secret_key: str = field(default="", repr=False)
    tracked_elements: tuple[str, ...] = DEFAULT_TRACKED_ELEMENTS
    posterior_mode: PosteriorMode = "fractional"
    decay_half_life_days: float = 0.0
    imported_ad_weight: float = 0.3
    min_impressions: int = 500
    ctr_maturity_days: int = 3
    conversion_maturity_days: int = 7
    roas_maturity_days: int = 10
    baseline_min_ads: int = 20
    prior_shrinkage: float = 0.3
    prior_floor: float = 0.5
    prior_max_weight: float = 10.0  # 0: no cap
    exploration_start: float = 0.30
    exploration_floor: float = 0.05
    exploration_scale_ads: float = 100.0
    label_min_observations: float = 5.0
    prob_best_draws: int = 10_000
    winner_threshold: float = 0.7
    health_window_days: int = 30
    min_rate_sample: int = 10
    alert_thresholds: Mapping[str, Thresholds] = field(
        default_factory=lambda: {
            "approval_rate": Thresholds(0.20, 0.10, below=True),
            "generation_success_rate": Thresholds(0.70, 0.50, below=True),
            "data_freshness_days": Thresholds(14, 30, below=False),
            "winner_rate": Thresholds(0.05, 0.02, below=True),
            "prediction_accuracy": Thresholds(0.40, 0.25, below=True),
        }
    )
    db_timeout_seconds: float = 5.0
    job_wait_seconds: float = 60.0
    alert_webhook_url: str = field(default="", repr=False)  # its path is a token
    daily_expected_hours: float = 26.0

    @classmethod
    def load(cls, mapping: Mapping[str, object] | None = None) -> Settings:
        """Settings from `mapping` (default: the environment); unset names take their default."""
        source = os.environ if mapping is None else mapping
        raw = {s.name: str(source.get(s.name, s.default) or s.default) for s in SETTINGS}
        return cls(
            database_url=raw["GENOME_DATABASE_URL"],
            supabase_url=str(source.get("SUPABASE_URL", "") or ""),
            supabase_secret_key=str(source.get("SUPABASE_SECRET_KEY", "") or ""),
            tracked_elements=_elements(raw["GENOME_TRACKED_ELEMENTS"]),
            posterior_mode=_choice(raw, "GENOME_POSTERIOR_MODE", ("fractional", "binary")),
            decay_half_life_days=_number(raw, "GENOME_DECAY_HALF_LIFE_DAYS", low=0),
            imported_ad_weight=_number(raw, "GENOME_IMPORTED_AD_WEIGHT", low=0, high=1),
            min_impressions=int(_number(raw, "GENOME_MIN_IMPRESSIONS", low=0, integer=True)),
            ctr_maturity_days=int(_number(raw, "GENOME_CTR_MATURITY_DAYS", low=0, integer=True)),
            conversion_maturity_days=int(
                _number(raw, "GENOME_CONVERSION_MATURITY_DAYS", low=0, integer=True)
            ),
            roas_maturity_days=int(_number(raw, "GENOME_ROAS_MATURITY_DAYS", low=0, integer=True)),
            baseline_min_ads=int(_number(raw, "GENOME_BASELINE_MIN_ADS", low=2, integer=True)),
            prior_shrinkage=_number(raw, "GENOME_PRIOR_SHRINKAGE", low=0, high=1),
            prior_floor=_number(raw, "GENOME_PRIOR_FLOOR", low=0.01),
            prior_max_weight=_number(raw, "GENOME_PRIOR_MAX_WEIGHT", low=0),
            **_exploration(raw),
            label_min_observations=_number(raw, "GENOME_LABEL_MIN_OBSERVATIONS", low=0),
            prob_best_draws=int(
                _number(raw, "GENOME_PROB_BEST_DRAWS", low=100, high=1_000_000, integer=True)
            ),
            winner_threshold=_number(raw, "GENOME_WINNER_THRESHOLD", low=0, high=1),
            health_window_days=int(_number(raw, "GENOME_HEALTH_WINDOW_DAYS", low=1, integer=True)),
            min_rate_sample=int(_number(raw, "GENOME_MIN_RATE_SAMPLE", low=1, integer=True)),
            alert_thresholds={
                "approval_rate": _pair(raw, "GENOME_ALERT_APPROVAL_RATE", below=True),
                "generation_success_rate": _pair(raw, "GENOME_ALERT_GENERATION_SUCCESS_RATE", below=True),
                "data_freshness_days": _pair(raw, "GENOME_ALERT_DATA_FRESHNESS_DAYS", below=False),
                "winner_rate": _pair(raw, "GENOME_ALERT_WINNER_RATE", below=True),
                "prediction_accuracy": _pair(raw, "GENOME_ALERT_PREDICTION_ACCURACY", below=True),
            },
            db_timeout_seconds=_number(raw, "GENOME_DB_TIMEOUT_SECONDS", low=0.1, high=600),
            job_wait_seconds=_number(raw, "GENOME_JOB_WAIT_SECONDS", low=0.1, high=86_400),
            alert_webhook_url=str(source.get("GENOME_ALERT_WEBHOOK_URL", "") or "").strip(),
            daily_expected_hours=_number(raw, "GENOME_DAILY_EXPECTED_HOURS", low=1, high=24 * 366),
        )


def _number(
    raw: Mapping[str, str],
    name: str,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
) -> float:
    text = raw[name].strip()
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{name}: {text!r} must be a finite number")
    if integer and not value.is_integer():
        raise SettingsError(f"{name}: {text!r} must be a whole number")
    if low is not None and value < low:
        raise SettingsError(f"{name}: {text!r} must be at least {low:g}")
    if high is not None and value > high:
        raise SettingsError(f"{name}: {text!r} must be at most {high:g}")
    return value


def _exploration(raw: Mapping[str, str]) -> dict[str, float]:
    start = _number(raw, "GENOME_EXPLORATION_START", low=0, high=1)
    floor = _number(raw, "GENOME_EXPLORATION_FLOOR", low=0, high=1)
    if floor > start:
        raise SettingsError("GENOME_EXPLORATION_FLOOR: the floor cannot be above GENOME_EXPLORATION_START")
    scale = _number(raw, "GENOME_EXPLORATION_SCALE_ADS", low=1)
    return {"exploration_start": start, "exploration_floor": floor, "exploration_scale_ads": scale}


def _choice(raw: Mapping[str, str], name: str, options: tuple[str, ...]) -> str:
    value = raw[name].strip().lower()
    if value not in options:
        raise SettingsError(f"{name}: {raw[name]!r} must be one of {', '.join(options)}")
    return value


def _elements(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise SettingsError("GENOME_TRACKED_ELEMENTS: name at least one element")
    if len(set(names)) != len(names):
        raise SettingsError("GENOME_TRACKED_ELEMENTS: an element is listed twice")
    return names


def _pair(raw: Mapping[str, str], name: str, below: bool) -> Thresholds:
    parts = raw[name].split(",")
    if len(parts) != 2:
        raise SettingsError(f"{name}: {raw[name]!r} must be 'warning,critical'")
    warning, critical = (_number({name: p}, name, low=0) for p in parts)
    if (below and critical > warning) or (not below and critical < warning):
        direction = "at or below" if below else "at or above"
        raise SettingsError(f"{name}: critical must be {direction} warning")
    return Thresholds(warning, critical, below=below)
