#!/usr/bin/env bash
# The whole suite, twice: on the embedded default (SQLite, inline jobs) and on PostgreSQL + Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
bash infra/services.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/lint-imports
echo "=== suite on SQLite (embedded default) ==="
CIVIC311_TEST_DB=sqlite $PY -m pytest -q -n 2 -p no:cacheprovider "$@"
echo "=== suite on PostgreSQL + Redis ==="
CIVIC311_TEST_DB=postgres CIVIC311_TEST_REDIS=1 $PY -m pytest -q -n 2 -p no:cacheprovider "$@"
