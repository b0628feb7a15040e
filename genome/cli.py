"""`python -m genome <command>`: the command line over the Genome facade.

Exit 0 on success; 1 with a one-line reason on stderr when the work fails; 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path

import pandas as pd

import genome
from genome import ranking, validation
from genome.brand_import import sharing_word
from genome.errors import GenomeError
from genome.settings import Settings, SettingsError
from genome.text_rules import printable
from genome.vocabulary import ALERT_STATUS_FILTERS

SET_BRAND_HELP = "create or change a brand: name, organization, cross-brand sharing"
SET_BRAND_RULES = (
    "An option left out keeps the stored value (a new brand: its id as name, no organization, sharing"
    " off). Sharing on lets other brands' priors learn from this brand's evidence (its own organization"
    " first) from their next refresh on."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            return _migrate(args)
        if args.command == "simulate":
            return _simulate(args)
        g = genome.open(args.database)
        for notice in g.notices:
            print(f"note: {_printable(notice)}", file=sys.stderr)
        try:
            return COMMANDS[args.command](g, args)
        finally:
            g.close()
    except (GenomeError, SettingsError) as error:
        print(f"error: {_printable(str(error))}", file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"error: no such file: {error.filename}", file=sys.stderr)
        return 1
    except OSError as error:  # a folder given as a file, no permission, a full disk
        print(f"error: {_printable(str(error))}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    prog = "genome" if Path(sys.argv[0]).name == "genome" else "python -m genome"  # the installed command
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", help="database URL (default: the configured one)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def command(
        name: str,
        help: str,
        brand: bool | None = None,
        as_of: bool = False,
        json_flag: bool = False,
        seed: bool = False,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        if brand is not None:
            sub.add_argument("--brand", required=brand, metavar="ID", help="brand id")
        if as_of:
            sub.add_argument("--as-of", type=_date, metavar="DATE", help="date (YYYY-MM-DD), default today")
        if json_flag:
            sub.add_argument("--json", action="store_true", help="print JSON")
        if seed:
            sub.add_argument("--seed", type=int, metavar="N", help="seed for a reproducible draw")
        return sub

    command("migrate", "apply the migrations to a Postgres database (SQLite migrates its file itself)")
    command("demo", "load the demo workspace", json_flag=True).add_argument("--seed", type=int, default=7)
    command("import-ads", "import an ads CSV (all or nothing)", json_flag=True).add_argument("file")
    command(
        "import-performance", "import a daily performance CSV (all or nothing)", json_flag=True
    ).add_argument("file")
    command("refresh", "recompute rewards and posteriors", brand=False, as_of=True, json_flag=True)
    command("validate", "compute health metrics and update alerts", brand=False, as_of=True, json_flag=True)
    command(
        "daily",
        "the scheduled job: refresh, then validate, every brand, under one lock",
        as_of=True,
        json_flag=True,
    )
    command("posteriors", "posterior summary of a brand", brand=True, json_flag=True)
    command("recommend", "Thompson-sampled element values", brand=True, json_flag=True, seed=True)
    command(
        "score", "pre-generation score of proposed element tags", brand=True, json_flag=True
    ).add_argument("--tags", required=True, metavar="JSON", help='e.g. \'{"hook_type": "question"}\'')
    command(
        "context", "the performance context for the generation prompt", brand=True, json_flag=True, seed=True
    )
    command("cold-start", "cold-start level and exploration rate", brand=True, json_flag=True)
    rank = command(
        "rank", "rank candidate templates by base and performance score", brand=True, json_flag=True
    )
    rank.add_argument(
        "--candidates", required=True, metavar="FILE", help="CSV: template_id, base_score, elements"
    )
    rank.add_argument("--mode", choices=ranking.RANK_MODES, default="smart_select")
    rank.add_argument("--weight", type=float, metavar="W", help="weight of the performance score, 0 to 1")
    alerts = command("alerts", "list alerts", brand=False, json_flag=True)
    alerts.add_argument("--status", choices=ALERT_STATUS_FILTERS)
    events = command(
        "alert-events",
        "who opened, escalated, acknowledged, resolved each alert",
        brand=False,
        json_flag=True,
    )
    events.add_argument(
        "alert_id", type=int, nargs="?", metavar="ID", help="one alert (default: every alert)"
    )
    for name in ("ack", "resolve"):
        sub = command(name, f"{'acknowledge' if name == 'ack' else 'resolve'} an alert", json_flag=True)
        sub.add_argument("alert_id", type=int, metavar="ID")
        sub.add_argument("--by", required=True, metavar="NAME")
        sub.add_argument("--note", default="", metavar="TEXT")
    command("jobs", "recent job runs", json_flag=True).add_argument("--limit", type=int, default=20)
    command("brands", "list brands: name, organization, sharing, ads", json_flag=True)
    brand = commands.add_parser("brand", help="change a brand", description="change a brand")
    brand_commands = brand.add_subparsers(dest="brand_command", required=True, metavar="action")
    brand_set = brand_commands.add_parser(
        "set", help=SET_BRAND_HELP, description=SET_BRAND_HELP + " " + SET_BRAND_RULES
    )
    brand_set.add_argument("brand_id", metavar="ID")
    brand_set.add_argument("--name", metavar="TEXT", help="display name ('' gives back the id)")
    brand_set.add_argument("--organization", metavar="ORG", help="organization id ('' removes it)")
    brand_set.add_argument("--sharing", choices=["on", "off"], help="cross-brand sharing of its evidence")
    brand_set.add_argument("--json", action="store_true", help="print JSON")
    command(
        "import-brands",
        "import a brands CSV: brand_id, name, organization_id, cross_brand_sharing",
        json_flag=True,
    ).add_argument("file")
    simulate = command("simulate", "compare policies on simulated brands", json_flag=True)
    simulate.add_argument("--seeds", type=int, default=50, help="simulated brands per policy")
    simulate.add_argument("--days", type=int, default=90, help="simulated days")
    simulate.add_argument("--plots", metavar="DIR", help="write regret plots (HTML) to this folder")
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-26") from None


def _print(data: object, as_json: bool) -> int:
    if is_dataclass(data) and not isinstance(data, type):
        data = data.to_dict() if hasattr(data, "to_dict") else asdict(data)
    if isinstance(data, pd.DataFrame):
        if as_json:
            print(data.to_json(orient="records", date_format="iso", default_handler=str))
        else:
            print(_printable(data.to_string(index=False)) if len(data) else "(nothing)")
        return 0
    if as_json:
        print(json.dumps(data, indent=2, default=str))  # JSON escapes control characters itself
    elif isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        for key, value in data.items():
            print(_printable(f"{str(key).ljust(width)}  {value}"))
    else:
        print(_printable(str(data)))
    return 0


def _daily(g: genome.Genome, args: argparse.Namespace) -> int:
    """The daily job; without --json, three lines for a log."""
    summary = g.daily(args.as_of)
    if args.json:
        return _print(summary, True)
    refresh, validation, sent = summary["refresh"], summary["validation"], summary["notifications"]
    learned = (
        "nothing new to learn"
        if refresh.get("skipped")
        else f"{refresh['elements_updated']:,} element values updated"
    )
    print(
        f"daily run #{summary['job_id']} for {validation['as_of']} done in {summary['duration_seconds']:,.1f} s"
    )
    print(f"refresh: {refresh['rewarded_ads']:,} ads rewarded, {learned}")
    print(
        f"validation: {validation['metrics']:,} health metrics; alerts opened {validation['alerts_opened']},"
        f" updated {validation['alerts_updated']}, resolved {validation['alerts_resolved']};"
        f" notifications sent {sent['sent']}, failed {sent['failed']}"
        + (f" ({_printable('; '.join(dict.fromkeys(sent['errors'])))})" if sent["errors"] else "")
    )
    return 0


def _printable(text: str) -> str:
    """Stored data as printed: it must not drive the terminal or reorder what a reader sees."""
    return printable(text, multiline=True)


def _migrate(args: argparse.Namespace) -> int:
    from genome.store import parse_database_url
    from genome.store.postgres import migrate

    url = args.database or Settings.load().database_url
    parse_database_url(url)
    if not url.startswith(("postgresql://", "postgres://")):
        print("SQLite needs no migrations: its schema is created when the database is opened.")
        return 0
    applied = migrate(url)
    print("\n".join(f"applied {name}" for name in applied) or "already up to date")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from genome.simulation import METRICS, StudyConfig, run_study

    shown = set()

    def progress(fraction: float) -> None:
        tenth = int(fraction * 10)
        if tenth not in shown:
            shown.add(tenth)
            print(f"simulating… {tenth * 10}%", file=sys.stderr, flush=True)

    result = run_study(StudyConfig(days=args.days), args.seeds, progress=progress)
    if args.plots:
        import plotly.express as px

        folder = Path(args.plots)
        folder.mkdir(parents=True, exist_ok=True)
        for metric in METRICS:
            curve = result.curves[result.curves["metric"] == metric]
            title = f"{metric.replace('_', ' ')} over {args.seeds} simulated brands (mean)"
            px.line(curve, x="day", y="mean", color="policy", title=title).write_html(
                folder / f"simulation_{metric}.html"
            )
        print(f"plots written to {folder}/simulation_*.html", file=sys.stderr)
    return _print(result.summary, args.json)


def _context(g: genome.Genome, args: argparse.Namespace) -> int:
    performance_context = g.performance_context(args.brand, args.seed)
    return _print(performance_context if args.json else performance_context.to_prompt(), args.json)


def _rank(g: genome.Genome, args: argparse.Namespace) -> int:
    """The ranked templates: JSON records, or a table with the formula and what the scores rest on."""
    ranked = g.rank_templates(args.brand, args.candidates, args.mode, args.weight)
    if args.json:
        return _print(ranked, True)
    table = pd.DataFrame(
        {
            "rank": ranked["rank"],
            "template": ranked["template_id"],
            "score": ranked["score"].map("{:.3f}".format),
            "base": ranked["base_score"].map("{:.3f}".format),
            "performance": ranked["performance_score"].map("{:.3f}".format)
            + " ± "
            + ranked["uncertainty"].map("{:.3f}".format),
            "scored elements": ranked["known_elements"],
            "evidence": ranked["evidence"],
        }
    )
    _print(table, False)
    weight = float(ranked["weight"].iloc[0])
    print(
        f"score = {1 - weight:.2f} × base + {weight:.2f} × performance ({args.mode}"
        f"{', weight given' if args.weight is not None else ''})"
    )
    note = ranking.evidence_note(ranked)
    if note:
        print(f"note: {note}")
    return 0


def _brands(g: genome.Genome, args: argparse.Namespace) -> int:
    brands = g.brands().merge(
        g.overview()[["brand_id", "ads"]], left_on="id", right_on="brand_id", how="left"
    )
    brands = brands.assign(ads=brands["ads"].fillna(0).astype("int64"))
    if args.json:
        return _print(
            brands[["id", "name", "organization_id", "cross_brand_sharing", "created_at", "ads"]], True
        )
    if brands.empty:
        print("No brands yet: `brand set ID` creates one, and importing ads creates theirs.")
        return 0
    table = pd.DataFrame(
        {
            "id": brands["id"],
            "name": brands["name"],
            "organization": brands["organization_id"].fillna("-"),
            "sharing": brands["cross_brand_sharing"].map(sharing_word),
            "ads": brands["ads"].map("{:,}".format),
        }
    )
    return _print(table, False)


def _set_brand(g: genome.Genome, args: argparse.Namespace) -> int:
    sharing = None if args.sharing is None else args.sharing == "on"
    changed = g.set_brand(
        args.brand_id, name=args.name, organization_id=args.organization, cross_brand_sharing=sharing
    )
    if args.json:
        return _print({**changed, "created_at": changed["created_at"].isoformat()}, True)
    _print(
        {
            "brand": changed["id"],
            "name": changed["name"],
            "organization": changed["organization_id"] or "-",
            "sharing": sharing_word(changed["cross_brand_sharing"]),
            "status": changed["status"],
        },
        False,
    )
    if changed["status"] != "unchanged":
        print("Priors of other brands follow this change at their next refresh.")
    return 0


def _import_performance(g: genome.Genome, args: argparse.Namespace) -> int:
    """The import summary; as text, its notes (objective fallbacks, conversions above clicks) as sentences."""
    summary = g.import_performance(args.file)
    if args.json:
        return _print(summary, True)
    _print({key: value for key, value in summary.items() if key not in validation.NOTE_KEYS}, False)
    for line in validation.performance_notes_text(summary):
        print(_printable(line))
    return 0


def _tags(text: str) -> dict:
    try:
        tags = json.loads(text)
    except json.JSONDecodeError as error:
        raise GenomeError(f"--tags is not valid JSON: {error.msg}") from None
    if not isinstance(tags, dict):
        raise GenomeError('--tags must be a JSON object like {"hook_type": "question"}')
    return tags


COMMANDS: dict[str, Callable[[genome.Genome, argparse.Namespace], int]] = {
    "demo": lambda g, a: _print(g.load_demo(seed=a.seed), a.json),
    "import-ads": lambda g, a: _print(g.import_ads(a.file), a.json),
    "import-performance": lambda g, a: _import_performance(g, a),
    "refresh": lambda g, a: _print(g.refresh(a.brand, a.as_of), a.json),
    "validate": lambda g, a: _print(g.validate(a.brand, a.as_of), a.json),
    "daily": lambda g, a: _daily(g, a),
    "posteriors": lambda g, a: _print(g.posteriors(a.brand), a.json),
    "recommend": lambda g, a: _print(g.recommendation(a.brand, a.seed).to_dict(), a.json),
    "score": lambda g, a: _print(g.pre_gen_score(a.brand, _tags(a.tags)), a.json),
    "context": lambda g, a: _context(g, a),
    "cold-start": lambda g, a: _print(g.cold_start(a.brand), a.json),
    "rank": _rank,
    "alerts": lambda g, a: _print(g.alerts(a.status, a.brand), a.json),
    "alert-events": lambda g, a: _print(g.alert_events(a.alert_id, a.brand), a.json),
    "ack": lambda g, a: _print(g.acknowledge(a.alert_id, a.by, a.note), a.json),
    "resolve": lambda g, a: _print(g.resolve(a.alert_id, a.by, a.note), a.json),
    "jobs": lambda g, a: _print(g.job_runs(a.limit), a.json),
    "brands": _brands,
    "brand": _set_brand,  # the one action of `brand`: set
    "import-brands": lambda g, a: _print(g.import_brands(a.file), a.json),
}
