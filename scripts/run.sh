#!/usr/bin/env bash
# Starts the dashboard on the embedded SQLite default (http://localhost:8501).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m streamlit run dashboard/app.py "$@"
