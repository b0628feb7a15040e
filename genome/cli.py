"""`python -m genome <command>`: the command line over the Genome facade.

Exit 0 on success; 1 with a one-line reason on stderr when the work fails; 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path

import pandas as pd

import genome
from genome.errors import GenomeError
from genome.settings import Settings, SettingsError

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


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
    parser = argparse.ArgumentParser(prog="python -m genome", description=__doc__.splitlines()[0])
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

    command("migrate", "apply migrations/ to a Postgres database (SQLite creates its schema itself)")
    command("demo", "load the demo workspace", json_flag=True).add_argument("--seed", type=int, default=7)
    command("import-ads", "import an ads CSV (all or nothing)", json_flag=True).add_argument("file")
    command(
        "import-performance", "import a daily performance CSV (all or nothing)", json_flag=True
    ).add_argument("file")
    command("refresh", "recompute rewards and posteriors", brand=False, as_of=True, json_flag=True)
    command("validate", "compute health metrics and update alerts", brand=False, as_of=True, json_flag=True)
    command("posteriors", "posterior summary of a brand", brand=True, json_flag=True)
    command("recommend", "Thompson-sampled element values", brand=True, json_flag=True, seed=True)
    command(
        "score", "pre-generation score of proposed element tags", brand=True, json_flag=True
    ).add_argument("--tags", required=True, metavar="JSON", help='e.g. \'{"hook_type": "question"}\'')
    command(
        "context", "the performance context for the generation prompt", brand=True, json_flag=True, seed=True
    )
    command("cold-start", "cold-start level and exploration rate", brand=True, json_flag=True)
    alerts = command("alerts", "list alerts", brand=False, json_flag=True)
    alerts.add_argument("--status", choices=["open", "acknowledged", "resolved", "unresolved"])
    for name in ("ack", "resolve"):
        sub = command(name, f"{'acknowledge' if name == 'ack' else 'resolve'} an alert", json_flag=True)
        sub.add_argument("alert_id", type=int, metavar="ID")
        sub.add_argument("--by", required=True, metavar="NAME")
        sub.add_argument("--note", default="", metavar="TEXT")
    command("jobs", "recent job runs", json_flag=True).add_argument("--limit", type=int, default=20)
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


def _printable(text: str) -> str:
    """`text` with control characters (other than line breaks and tabs) shown as U+FFFD: imported data
    is printed as it is, but must not drive the terminal (escape sequences)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


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
    "import-performance": lambda g, a: _print(g.import_performance(a.file), a.json),
    "refresh": lambda g, a: _print(g.refresh(a.brand, a.as_of), a.json),
    "validate": lambda g, a: _print(g.validate(a.brand, a.as_of), a.json),
    "posteriors": lambda g, a: _print(g.posteriors(a.brand), a.json),
    "recommend": lambda g, a: _print(g.recommendation(a.brand, a.seed).to_dict(), a.json),
    "score": lambda g, a: _print(g.pre_gen_score(a.brand, _tags(a.tags)), a.json),
    "context": lambda g, a: _context(g, a),
    "cold-start": lambda g, a: _print(g.cold_start(a.brand), a.json),
    "alerts": lambda g, a: _print(g.alerts(a.status, a.brand), a.json),
    "ack": lambda g, a: _print(g.acknowledge(a.alert_id, a.by, a.note), a.json),
    "resolve": lambda g, a: _print(g.resolve(a.alert_id, a.by, a.note), a.json),
    "jobs": lambda g, a: _print(g.job_runs(a.limit), a.json),
}
