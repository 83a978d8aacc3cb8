#!/usr/bin/env bash
# Open311 list/get: civic311 under gunicorn vs bare Flask + psycopg, at 100k and 1M requests over
# 1,000 cities (PostgreSQL on 127.0.0.1:5432, roles postgres and civic311_app). See bench/README.md.
# The last line reads: open311: list ratio R1, get ratio R2, p99 1M/100k X
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/open311_bench.py
