"""The migration files of each engine, in the order a runner applies them (one shape for both engines).

genome/migrations/<engine>/NNNN_name.sql are the numbered files: DDL and backfills, applied once each
in number order and checksum-locked (a runner refuses a recorded file whose text changed).
genome/migrations/<engine>/functions/<name>.sql hold one SQL function each (Postgres only), applied
after the numbered files and again whenever their checksum changes (Flyway's repeatable migrations).
Files are found through importlib.resources, so an installed package finds its own copies.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

ENGINES = ("postgres", "sqlite")
NUMBERED = re.compile(r"(\d{4})_\w+\.sql")


@dataclass(frozen=True)
class Migration:
    """One file: `version` is what a runner records ("0001_baseline", "functions/genome_x"), `number`
    the numbered file's number (0 for a function file)."""

    name: str
    version: str
    number: int
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def folder(engine: str) -> Traversable:
    """genome/migrations/<engine> in the installed package."""
    if engine not in ENGINES:
        raise ValueError(f"no migrations for engine {engine!r}")
    return resources.files("genome") / "migrations" / engine


def numbered(directory: Traversable) -> list[Migration]:
    """The numbered files of `directory`, in number order (two files with one number are refused)."""
    found = sorted(
        (int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
        for entry in directory.iterdir()
        if (match := NUMBERED.fullmatch(entry.name))
    )
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two migrations share a number in {directory}: {[name for _, name, _ in found]}")
    return [Migration(name, name.removesuffix(".sql"), number, text) for number, name, text in found]


def functions(directory: Traversable) -> list[Migration]:
    """The function files of `directory`/functions, by name (none when there is no such folder)."""
    function_files = directory / "functions"
    if not function_files.is_dir():
        return []
    return [
        Migration(
            entry.name, f"functions/{entry.name.removesuffix('.sql')}", 0, entry.read_text(encoding="utf-8")
        )
        for entry in sorted(function_files.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".sql")
    ]


def statements(script: str) -> list[str]:
    """A SQLite script split into complete statements (a trigger's body stays whole), so a runner can
    execute them inside its own transaction (`executescript` would commit it first)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise ValueError(f"an incomplete statement ends the script: {pending.strip()[:80]}")
    return found
