"""Settings: the README documents every setting, and bad values are refused with their name."""

from pathlib import Path

import pytest

from genome.settings import SETTINGS, Settings, SettingsError, Thresholds

README = Path(__file__).parent.parent / "README.md"


def _readme_rows() -> dict[str, tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        name, default, help_text = (cell.strip() for cell in line.strip("|").split("|", 2))
        rows[name.strip("`")] = (default.strip("`"), help_text)
    return rows


def test_readme_documents_exactly_the_settings():
    assert set(_readme_rows()) == {s.name for s in SETTINGS}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_readme_default_and_help_match(setting):
    assert _readme_rows()[setting.name] == (setting.default, setting.help)


def test_defaults_are_the_reference_facts():
    settings = Settings.load({})
    assert settings == Settings()
    assert settings.tracked_elements == (
        "hook_type",
        "color_mode",
        "template_category",
        "awareness_stage",
        "canvas_size",
        "content_source",
    )
    assert (settings.ctr_maturity_days, settings.conversion_maturity_days, settings.roas_maturity_days) == (
        3,
        7,
        10,
    )
    assert settings.min_impressions == 500
    assert settings.alert_thresholds["approval_rate"] == Thresholds(0.20, 0.10, below=True)
    assert settings.alert_thresholds["data_freshness_days"] == Thresholds(14, 30, below=False)


def test_values_are_parsed():
    settings = Settings.load(
        {
            "GENOME_POSTERIOR_MODE": "Binary",
            "GENOME_DECAY_HALF_LIFE_DAYS": "14",
            "GENOME_TRACKED_ELEMENTS": "hook_type, color_mode",
            "GENOME_ALERT_WINNER_RATE": "0.1,0.05",
        }
    )
    assert settings.posterior_mode == "binary"
    assert settings.decay_half_life_days == 14
    assert settings.tracked_elements == ("hook_type", "color_mode")
    assert settings.alert_thresholds["winner_rate"] == Thresholds(0.1, 0.05, below=True)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("GENOME_POSTERIOR_MODE", "bayes", "must be one of fractional, binary"),
        ("GENOME_DECAY_HALF_LIFE_DAYS", "-1", "must be at least 0"),
        ("GENOME_DECAY_HALF_LIFE_DAYS", "nan", "must be a finite number"),
        ("GENOME_IMPORTED_AD_WEIGHT", "1.5", "must be at most 1"),
        ("GENOME_MIN_IMPRESSIONS", "12.5", "must be a whole number"),
        ("GENOME_PROB_BEST_DRAWS", "many", "is not a number"),
        ("GENOME_TRACKED_ELEMENTS", " , ", "name at least one element"),
        ("GENOME_TRACKED_ELEMENTS", "a,a", "listed twice"),
        ("GENOME_ALERT_APPROVAL_RATE", "0.2", "must be 'warning,critical'"),
        ("GENOME_ALERT_APPROVAL_RATE", "0.1,0.2", "critical must be at or below warning"),
        ("GENOME_ALERT_DATA_FRESHNESS_DAYS", "30,14", "critical must be at or above warning"),
        ("GENOME_JOB_WAIT_SECONDS", "0", "must be at least 0.1"),
    ],
)
def test_bad_values_name_the_setting(name, value, reason):
    with pytest.raises(SettingsError, match=name) as error:
        Settings.load({name: value})
    assert reason in str(error.value)


def test_secret_key_is_not_in_repr():
    settings = Settings.load({"SUPABASE_SECRET_KEY": "sb_secret_abc123"})
    assert "sb_secret_abc123" not in repr(settings)
