"""examples/generator_loop.py runs as documented on a fresh SQLite file and on Postgres, and its
second context shows what the loop taught: own evidence, a level above 0, the better hook first."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "generator_loop.py"


def run_example(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GENOME_ALERT_WEBHOOK_URL", None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_learned(output: str) -> None:
    assert "1. context before: level 0, evidence 'none'" in output
    after = re.search(r"5\. context after: level (\d), evidence '(\w+)', best hook '(\w+)'", output)
    assert after is not None, output
    level, evidence, best = after.groups()
    assert int(level) > 0 and evidence == "own" and best == "question"
    assert "4. daily job #" in output and "40 ads rewarded" in output


def test_the_example_learns_on_a_fresh_sqlite_file():
    assert_learned(run_example())


@pytest.mark.postgres
def test_the_example_learns_on_postgres(postgres_database):
    assert_learned(run_example("--database", postgres_database))
