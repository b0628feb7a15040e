#!/usr/bin/env bash
# Runs every check: ruff, then the whole pytest suite (SQLite, a throwaway PostgreSQL server,
# and the dashboard in headless Chromium). Installs what is missing on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/system-deps.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
