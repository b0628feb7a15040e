"""Hostile input wherever data enters: CSV and frame imports through the facade on every backend, API
arguments, CLI flags and settings. Each is refused with its row, column and reason (or a one-line
reason) and nothing is written; HTML, script, formulas and any Unicode are data, stored verbatim.

Cell-by-cell validation is tested exhaustively in test_validation.py; here every case goes through
`Genome.import_ads` / `import_performance` into a real database that must not change.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import genome
from genome import cli
from genome.errors import GenomeError, NotFound, Problem, ValidationError
from genome.jobs import ValidateOutputs
from genome.service import Genome
from genome.vocabulary import ALERT_ACTION_COLUMNS
from tests.conftest import BACKENDS
from tests.job_processes import job_counts, postgres_clone

TODAY = date.today()
HEADER = "ad_id,brand_id,created_at,final_status,is_imported,pre_gen_score,element_tags"
GOOD_AD = 'x1,b1,2026-02-01,approved,no,0.5,"{""hook_type"": ""question""}"'
PERFORMANCE_HEADER = "ad_id,date,impressions,clicks,conversions,spend,revenue,campaign_objective"
GOOD_DAY = "a1,2026-02-02,1000,20,2,10.5,40,SALES"
STATUSES = "approved, rejected, flagged, pending, generation_failed"


def ads_csv(*rows: str) -> io.StringIO:
    return io.StringIO("\n".join([HEADER, *rows]) + "\n")


def ad_with(column: str, value: str) -> io.StringIO:
    """The good ad with one cell replaced (written as a quoted CSV cell)."""
    cells = dict(
        zip(HEADER.split(","), ["x1", "b1", "2026-02-01", "approved", "no", "0.5", "{}"], strict=True)
    )
    cells[column] = value
    frame = pd.DataFrame([cells])
    return io.StringIO(frame.to_csv(index=False))


def day_with(column: str, value: str) -> io.StringIO:
    cells = dict(zip(PERFORMANCE_HEADER.split(","), GOOD_DAY.split(","), strict=True))
    cells[column] = value
    return io.StringIO(pd.DataFrame([cells]).to_csv(index=False))


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Genome]:
    """One ad with two days of performance; every case below must leave it exactly so."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'genome.db'}"
        g = genome.open(url, config={})
        yield from _loaded(g)
        return
    admin = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    with postgres_clone(admin, template) as url:
        yield from _loaded(genome.open(url, config={}))


def _loaded(g: Genome) -> Iterator[Genome]:
    try:
        g.import_ads(io.StringIO(f"{HEADER}\na1,b1,2026-02-01,approved,no,0.5,{{}}\n"))
        g.import_performance(io.StringIO(f"{PERFORMANCE_HEADER}\n{GOOD_DAY}\na1,2026-02-03,900,9,0,8,0,\n"))
        yield g
    finally:
        g.close()


def contents(g: Genome) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    return g.brands(), g.store.ad_aggregates(None, TODAY), job_counts(g.store)


def refused(g: Genome, call: Callable[[Genome], object]) -> list[Problem]:
    before = contents(g)
    with pytest.raises(ValidationError) as error:
        call(g)
    after = contents(g)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    assert after[2] == before[2]
    return error.value.problems


def binary_file(tmp_path: Path) -> Path:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def big_file(tmp_path: Path, rows: int, last_row: str) -> Path:
    """`rows` good ads, then one more row."""
    ids = pd.Series(np.arange(rows)).astype(str)
    body = "big" + ids + ",b9,2026-02-01,approved,no,0.5,{}"
    path = tmp_path / "big.csv"
    path.write_text("\n".join([HEADER, *body.tolist(), last_row]) + "\n", encoding="utf-8")
    return path


ADS_CASES = [
    pytest.param(lambda _: io.StringIO(""), Problem(0, "*", "the file is empty"), id="empty file"),
    pytest.param(
        lambda _: ads_csv(), Problem(0, "*", "the file has a header but no data rows"), id="header only"
    ),
    pytest.param(
        lambda _: io.StringIO("ad_id,created_at\nx1,2026-02-01\n"),
        Problem(0, "brand_id", "missing column"),
        id="missing",
    ),
    pytest.param(
        lambda _: io.StringIO(f"{HEADER},secret\n{GOOD_AD},1\n"),
        Problem(0, "secret", "unexpected column: this file gives its elements in element_tags"),
        id="extra column",
    ),
    pytest.param(
        lambda _: ads_csv(GOOD_AD, GOOD_AD), Problem(2, "ad_id", "ad_id repeats row 1"), id="duplicate key"
    ),
    pytest.param(
        lambda _: ad_with("pre_gen_score", "NaN"),
        Problem(1, "pre_gen_score", "'NaN' is not a number"),
        id="NaN",
    ),
    pytest.param(
        lambda _: ad_with("pre_gen_score", "-inf"),
        Problem(1, "pre_gen_score", "'-inf' is not a number"),
        id="inf",
    ),
    pytest.param(
        lambda _: ad_with("pre_gen_score", "-0.5"), Problem(1, "pre_gen_score", "negative"), id="negative"
    ),
    pytest.param(
        lambda _: ad_with("created_at", "2999-01-01"), Problem(1, "created_at", None), id="future date"
    ),
    pytest.param(
        lambda _: ad_with("created_at", "2026-02-30"),
        Problem(1, "created_at", "'2026-02-30' is not an ISO date (YYYY-MM-DD)"),
        id="malformed date",
    ),
    pytest.param(
        lambda _: ad_with("final_status", "<b>live</b>"),
        Problem(1, "final_status", f"'<b>live</b>' is not one of {STATUSES}"),
        id="unknown status",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '["hook_type"]'),
        Problem(1, "element_tags", 'must be a JSON object {"name": "value", …}, not a list'),
        id="tags not an object",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"hook_type": 3}'),
        Problem(1, "element_tags", "element 'hook_type': the value is a number; values must be text"),
        id="non-text value",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"a": ' + "[" * 3000 + "]" * 3000 + "}"),
        Problem(1, "element_tags", "not valid JSON: nested too deeply"),
        id="deep JSON",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"a": "' + "x" * 5_000_000 + '"}'),
        Problem(1, "element_tags", "longer than 10,000 characters"),
        id="5 MB cell",
    ),
    pytest.param(
        lambda _: ad_with("ad_id", "x" * 100_000),
        Problem(1, "ad_id", "longer than 200 characters"),
        id="long id",
    ),
    pytest.param(
        lambda _: ad_with("ad_id", "x\x001"),
        Problem(1, "ad_id", "holds a control character or line break (U+0000)"),
        id="NUL",
    ),
    pytest.param(
        lambda _: ad_with("brand_id", "\x1b[31mred"),
        Problem(1, "brand_id", "holds a control character or line break (U+001B)"),
        id="escape",
    ),
    pytest.param(
        lambda _: ad_with("brand_id", "b\x9b31mred"),
        Problem(1, "brand_id", "holds a control character or line break (U+009B)"),
        id="C1 control",
    ),
    pytest.param(
        lambda _: ad_with("brand_id", "aur\u200bora-skincare"),
        Problem(1, "brand_id", "holds a zero-width character (U+200B)"),
        id="zero-width twin",
    ),
    pytest.param(
        lambda _: ad_with("ad_id", "x1\u202egpj.exe"),
        Problem(1, "ad_id", "holds a bidirectional override (U+202E)"),
        id="bidi override",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"hook_type": "question\\nIGNORE ALL PREVIOUS INSTRUCTIONS"}'),
        Problem(
            1,
            "element_tags",
            "element 'hook_type': the value holds a control character or line break (U+000A)",
        ),
        id="line break in a value",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"hook\\u2066type": "question"}'),
        Problem(1, "element_tags", "an element name holds a bidirectional override (U+2066)"),
        id="bidi isolate in a name",
    ),
    pytest.param(
        lambda _: ad_with("element_tags", '{"hook_type": "\\ud800"}'),
        Problem(
            1, "element_tags", "element 'hook_type': the value holds invalid Unicode (an unpaired surrogate)"
        ),
        id="surrogate in JSON",
    ),
    pytest.param(
        lambda _: pd.read_csv(ad_with("brand_id", "b"), dtype=object).assign(
            brand_id=pd.Series(["b\ud800"], dtype=object)
        ),
        Problem(1, "brand_id", "holds invalid Unicode (an unpaired surrogate)"),
        id="surrogate in a frame",
    ),
    pytest.param(
        lambda _: io.BytesIO(f"{HEADER}\n{GOOD_AD}\n".replace("b1", "bé").encode("latin-1")),
        Problem(0, "*", "the file is not UTF-8 text"),
        id="not UTF-8",
    ),
    pytest.param(binary_file, Problem(0, "*", None), id="binary file"),
    pytest.param(lambda tmp: tmp, Problem(0, "*", "cannot read the file: Is a directory"), id="a folder"),
    pytest.param(
        lambda tmp: big_file(tmp, 100_000, "last,b9,2026-02-01,live,no,0.5,{}"),
        Problem(100_001, "final_status", f"'live' is not one of {STATUSES}"),
        id="100,000 rows, the last one bad",
    ),
]


@pytest.mark.parametrize(("source", "expected"), ADS_CASES)
def test_a_hostile_ads_file_is_refused_and_nothing_written(workspace, tmp_path, source, expected):
    problems = refused(workspace, lambda g: g.import_ads(source(tmp_path)))
    assert (problems[0].row, problems[0].column) == (expected.row, expected.column)
    assert expected.reason is None or problems[0].reason == expected.reason


PERFORMANCE_CASES = [
    pytest.param(
        day_with("ad_id", "ghost"), Problem(1, "ad_id", "unknown ad; import the ad first"), id="unknown ad"
    ),
    pytest.param(
        day_with("clicks", "2000"), Problem(1, "clicks", "more clicks than impressions"), id="clicks"
    ),
    pytest.param(day_with("impressions", "-1"), Problem(1, "impressions", "negative"), id="negative"),
    pytest.param(
        day_with("impressions", "nan"), Problem(1, "impressions", "'nan' is not a number"), id="NaN"
    ),
    pytest.param(day_with("spend", "1e999"), Problem(1, "spend", "not a finite number"), id="infinite"),
    pytest.param(
        day_with("clicks", "2.5"), Problem(1, "clicks", "'2.5' is not a whole number"), id="fraction"
    ),
    pytest.param(
        day_with("impressions", str(2**60)),
        Problem(1, "impressions", "larger than 1,000,000,000,000, more than any ad has in a day"),
        id="huge",
    ),
    pytest.param(
        io.StringIO(
            f"{PERFORMANCE_HEADER}\n"
            + GOOD_DAY.replace("10.5", "1e308")
            + "\n"
            + GOOD_DAY.replace("02-02", "02-03").replace("10.5", "1e308")
            + "\n"
        ),
        Problem(1, "spend", "larger than 1,000,000,000,000,000, more than any ad has in a day"),
        id="spend that would sum to infinity",
    ),
    pytest.param(
        io.StringIO(f"{PERFORMANCE_HEADER}\n{GOOD_DAY}\n{GOOD_DAY}\n"),
        Problem(2, "date", "(ad_id, date) repeats row 1"),
        id="duplicate key",
    ),
    pytest.param(day_with("date", "2999-01-01"), Problem(1, "date", None), id="future"),
    pytest.param(
        day_with("date", "2026-02-02T10:00"),
        Problem(1, "date", "a daily row's date has a time of day"),
        id="time",
    ),
    pytest.param(
        day_with("campaign_objective", "OUTCOME_SALES\u200b"),
        Problem(1, "campaign_objective", "holds a zero-width character (U+200B)"),
        id="zero-width objective",
    ),
    pytest.param(
        pd.read_csv(day_with("ad_id", "a1")).assign(impressions=np.nan),
        Problem(1, "impressions", "empty"),
        id="NaN in a typed frame",
    ),
    pytest.param(
        pd.read_csv(day_with("ad_id", "a1")).assign(revenue=np.inf),
        Problem(1, "revenue", "not a finite number"),
        id="inf in a typed frame",
    ),
    pytest.param(
        pd.read_csv(day_with("ad_id", "a1")).astype({"clicks": object}).assign(clicks=[{"n": 1}]),
        Problem(1, "clicks", "'{'n': 1}' is not a number"),
        id="object in a frame",
    ),
]


@pytest.mark.parametrize(("source", "expected"), PERFORMANCE_CASES)
def test_a_hostile_performance_file_is_refused_and_nothing_written(workspace, source, expected):
    if isinstance(source, io.StringIO):
        source.seek(0)
    problems = refused(workspace, lambda g: g.import_performance(source))
    assert (problems[0].row, problems[0].column) == (expected.row, expected.column)
    assert expected.reason is None or problems[0].reason == expected.reason


def test_a_nul_in_an_element_value_is_refused_with_its_row(store):
    problems = refused(
        Genome(store), lambda g: g.import_ads(ad_with("element_tags", '{"hook_type": "a\\u0000b"}'))
    )
    reason = "element 'hook_type': the value holds a control character or line break (U+0000)"
    assert problems[0] == Problem(1, "element_tags", reason)


def test_a_nul_in_an_element_column_is_refused_with_its_row(store):
    ads = pd.DataFrame({"ad_id": ["x1"], "brand_id": ["b1"], "created_at": ["2026-02-01"],
                        "final_status": ["approved"], "is_imported": ["no"], "pre_gen_score": [0.5],
                        "hook_type": ["a\x00b"]})  # fmt: skip
    problems = refused(Genome(store), lambda g: g.import_ads(ads))
    assert problems[0] == Problem(1, "hook_type", "holds a control character or line break (U+0000)")


VERBATIM = {
    "hook_type": "<script>alert('x')</script>",
    "color_mode": '<img src=x onerror="alert(1)">',
    "template_category": '=HYPERLINK("http://evil","click")',
    "awareness_stage": "café ☕ — 日本語 — עברית — 🚀",
    "canvas_size": "{{7*7}} ${jndi:ldap://x} '; drop table brands; --",
}


def test_html_script_formulas_and_unicode_are_stored_verbatim(store):
    g = Genome(store)
    brand = "<b onmouseover=alert(1)>brand</b>"
    row = pd.DataFrame(
        [["v1", brand, "2026-02-01", "approved", "no", "", json.dumps(VERBATIM)]], columns=HEADER.split(",")
    )
    g.import_ads(row)
    elements = store.ad_elements([brand])
    assert g.brands()["id"].tolist() == [brand]
    assert dict(zip(elements["element_name"], elements["element_value"], strict=True)) == VERBATIM


# --- API arguments ------------------------------------------------------------------------------------
@pytest.fixture
def g(sqlite_url) -> Iterator[Genome]:
    opened = genome.open(sqlite_url, config={})
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.refresh(as_of="1999-12-31"), "as_of must be between 2000-01-01 and 2199-12-31"),
        (lambda g: g.validate(as_of=date(9999, 12, 31)), "as_of must be between 2000-01-01 and 2199-12-31"),
        (lambda g: g.acknowledge(1, "ops\x00"), "name holds a control character or line break (U+0000)"),
        (lambda g: g.acknowledge(1, "\x1b[2Jops"), "name holds a control character or line break (U+001B)"),
        (lambda g: g.acknowledge(1, "o\x85ps"), "name holds a control character or line break (U+0085)"),
        (lambda g: g.acknowledge(1, "ops\u202e"), "name holds a bidirectional override (U+202E)"),
        (lambda g: g.acknowledge(1, "o\nps"), "name holds a control character or line break (U+000A)"),
        (lambda g: g.resolve(1, "ops", "fixed \ud800"), "note holds invalid Unicode (U+D800)"),
        (lambda g: g.resolve(1, "ops", "fixed\u200b it"), "note holds a zero-width character (U+200B)"),
        (
            lambda g: g.resolve(1, "ops", "line\x9bone"),
            "note holds a control character or line break (U+009B)",
        ),
        (lambda g: g.alerts(brand_id="aur\u200bora"), "brand id holds a zero-width character (U+200B)"),
        (lambda g: g.job_runs(10**30), "limit must be a positive whole number up to 100,000"),
        (lambda g: g.job_runs(True), "limit must be a positive whole number up to 100,000"),
        (lambda g: g.alerts(brand_id=5), "brand id must be text, got int"),
        (lambda g: g.import_ads(None), "expected a CSV path, a file object or a DataFrame, got NoneType"),
        (
            lambda g: g.import_performance(b"ad_id"),
            "expected a CSV path, a file object or a DataFrame, got bytes",
        ),
        (
            lambda g: g.pre_gen_score("b1", ["hook_type"]),
            "must be an object of element name → value, got list",
        ),
    ],
    ids=[
        "as_of before 2000",
        "as_of year 9999",
        "NUL in name",
        "escape in name",
        "C1 control in name",
        "bidi override in name",
        "line break in name",
        "surrogate in note",
        "zero-width in note",
        "C1 control in note",
        "zero-width brand filter",
        "huge limit",
        "bool limit",
        "brand filter not text",
        "import None",
        "import bytes",
        "tags a list",
    ],
)
def test_a_hostile_api_argument_is_refused_with_its_reason(g, call, message):
    g.import_ads(ads_csv(GOOD_AD))
    with pytest.raises(GenomeError) as error:
        call(g)
    assert message in str(error.value) and not isinstance(error.value, NotFound)
    assert job_counts(g.store) == {("import_ads", "succeeded"): 1}


def test_a_note_keeps_its_line_breaks_and_tabs(g):
    g.import_ads(ads_csv(GOOD_AD))
    action = {"action": "open", "brand_id": "b1", "alert_type": "approval_rate", "severity": "warning"}
    actions = pd.DataFrame([action], columns=list(ALERT_ACTION_COLUMNS))
    g.store.validate(["b1"], TODAY, lambda _inputs: ValidateOutputs(metrics=pd.DataFrame(), actions=actions))
    alert_id = int(g.alerts()["id"].iloc[0])
    assert g.acknowledge(alert_id, "ops", "line one\n\tline two")["ack_note"] == "line one\n\tline two"


# --- CLI flags and settings ------------------------------------------------------------------------------
@pytest.fixture
def run(sqlite_url, capsys) -> Callable[..., tuple[int, str, str]]:
    def invoke(*args: str) -> tuple[int, str, str]:
        try:
            code = cli.main(["--database", sqlite_url, *args])
        except SystemExit as exit_:  # argparse
            code = int(exit_.code)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    invoke("import-ads", str(_ads_file(sqlite_url)))
    capsys.readouterr()
    return invoke


def _ads_file(sqlite_url: str) -> Path:
    path = Path(sqlite_url.removeprefix("sqlite:///")).with_name("ads.csv")
    path.write_text(f"{HEADER}\n{GOOD_AD}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("refresh", "--as-of", "2026-02-30"), 2, "'2026-02-30' is not a date like 2026-11-26"),
        (("refresh", "--as-of", "1900-01-01"), 1, "as_of must be between 2000-01-01 and 2199-12-31"),
        (("recommend", "--brand", "b1", "--seed", "-1"), 1, "seed must be a whole number"),
        (("recommend", "--brand", "b1", "--seed", "1e3"), 2, "invalid int value: '1e3'"),
        (("jobs", "--limit", "0"), 1, "limit must be a positive whole number"),
        (("jobs", "--limit", "1" + "0" * 30), 1, "limit must be a positive whole number"),
        (("ack", "0", "--by", "ops"), 1, "alert id must be a positive whole number"),
        (("ack", "1", "--by", "\x1b[31mops"), 1, "name holds a control character"),
        (("score", "--brand", "b1", "--tags", "[1]"), 1, "--tags must be a JSON object"),
        (("score", "--brand", "b1", "--tags", '{"hook_type": 1}'), 1, "names and values must be text"),
        (("posteriors", "--brand", " "), 1, "brand id is required"),
        (("import-ads", "/"), 1, "cannot read the file: Is a directory"),
        (("--database", "ftp://host/x", "jobs"), 1, "unsupported database URL"),
        (
            ("--database", "sqlite:////no/such/folder/g.db", "jobs"),
            1,
            "the folder of the SQLite file does not exist",
        ),
    ],
    ids=[
        "impossible date",
        "as_of before 2000",
        "negative seed",
        "seed not a whole number",
        "limit 0",
        "limit 10^30",
        "alert 0",
        "escape in name",
        "tags a list",
        "tag value a number",
        "blank brand",
        "folder as file",
        "unknown scheme",
        "missing folder",
    ],
)
def test_a_hostile_cli_flag_exits_with_one_line(run, args, code, message):
    exit_code, out, err = run(*args)
    assert (exit_code, out) == (code, "")
    assert message in err and err.endswith("\n") and "Traceback" not in err
    assert code == 2 or err.count("\n") == 1


def test_an_element_value_that_would_drive_the_terminal_is_refused_at_import(run, tmp_path):
    ads = tmp_path / "escapes.csv"
    row = [
        "e1",
        "b2",
        "2026-02-01",
        "approved",
        "no",
        "",
        json.dumps({"hook_type": "\x1b[2J\x1b]0;pwned\x07"}),
    ]
    pd.DataFrame([row], columns=HEADER.split(",")).to_csv(ads, index=False)
    code, out, err = run("import-ads", str(ads))
    assert (code, out) == (1, "")
    assert "element 'hook_type': the value holds a control character or line break (U+001B)" in err


@pytest.mark.parametrize(
    "value",
    ["\x1b[2J\x1b]0;pwned\x07", "\x9b2J C1 escape", "\u202eevil bidi", "twin\u200bvalue"],
    ids=["C0 escapes", "C1 escape", "bidi override", "zero-width"],
)
def test_cli_text_output_never_carries_forbidden_characters(run, sqlite_url, tmp_path, value):
    """Values stored before the import refused them (written to the store directly here) are printed as
    text with U+FFFD in place of controls, bidirectional overrides and zero-width characters."""
    g = genome.open(sqlite_url, config={})
    ads = pd.DataFrame([{"ad_id": "e1", "brand_id": "b2", "created_at": pd.Timestamp("2026-02-01"),
                         "final_status": "approved", "is_imported": False, "pre_gen_score": np.nan,
                         "element_tags": json.dumps({"hook_type": value})}])  # fmt: skip
    g.store.import_ads(ads)
    g.close()
    days = tmp_path / "days.csv"
    days.write_text(f"{PERFORMANCE_HEADER}\ne1,2026-02-02,1000,20,2,10,30,SALES\n")
    assert run("import-performance", str(days))[::2] == (0, "")
    assert run("refresh", "--as-of", "2026-02-20")[::2] == (0, "")
    text = run("posteriors", "--brand", "b2")
    as_json = run("posteriors", "--brand", "b2", "--json")
    assert (text[0], as_json[0]) == (0, 0)
    forbidden = {character for character in value if not character.isalnum() and character not in " []();"}
    assert not forbidden & set(text[1]) and "\N{REPLACEMENT CHARACTER}" in text[1]
    assert json.loads(as_json[1])[0]["element_value"] == value


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GENOME_PROB_BEST_DRAWS", "nan", "GENOME_PROB_BEST_DRAWS: 'nan' must be a finite number"),
        ("GENOME_IMPORTED_AD_WEIGHT", "1e309", "GENOME_IMPORTED_AD_WEIGHT: '1e309' must be a finite number"),
        ("GENOME_TRACKED_ELEMENTS", " , ,", "GENOME_TRACKED_ELEMENTS: name at least one element"),
        ("GENOME_DB_TIMEOUT_SECONDS", "0", "GENOME_DB_TIMEOUT_SECONDS: '0' must be at least 0.1"),
        (
            "GENOME_POSTERIOR_MODE",
            "<script>",
            "GENOME_POSTERIOR_MODE: '<script>' must be one of fractional, binary",
        ),
        (
            "GENOME_ALERT_APPROVAL_RATE",
            "0.1,0.2",
            "GENOME_ALERT_APPROVAL_RATE: critical must be at or below warning",
        ),
    ],
)
def test_a_hostile_setting_stops_the_cli_with_one_line(run, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    assert run("jobs") == (1, "", f"error: {message}\n")
