#!/usr/bin/env bash
# Creates .venv with the pinned dependencies (dev ones with --dev). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=requirements.txt
[[ "${1:-}" == "--dev" ]] && requirements=requirements-dev.txt
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | grep -v "is ignored" || true
  .venv/bin/python -c "import streamlit, pandas, numpy, scipy, plotly, psycopg, supabase, authlib" \
    || { echo "dependency install failed" >&2; exit 1; }
  touch "$stamp"
fi
