#!/usr/bin/env bash
# Runs every check: ruff, then the whole pytest suite (SQLite, a throwaway PostgreSQL server,
# and the dashboard in headless Chromium). Installs what is missing on a fresh Debian machine.
# --fast: the quick loop while working: ruff, then the core and SQLite tests only (no PostgreSQL,
# no browser, no slow tests such as building and installing the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
selection=()
if [[ "${1:-}" == "--fast" ]]; then
  shift
  selection=(-m "not postgres and not browser and not slow")
else
  bash scripts/system-deps.sh
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "${selection[@]}" "$@"
