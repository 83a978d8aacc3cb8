#!/usr/bin/env bash
# Intake throughput against a bare insert endpoint, same machine, same run. `make bench-intake` runs it.
#
# Creates a fresh PostgreSQL database (local, user postgres; the app connects as civic311_app so
# row-level security is on, as in production), migrates it, seeds BENCH_REQUESTS requests over
# BENCH_TENANTS cities, starts civic311 under gunicorn with REDIS_URL set and, beside it, a bare Flask +
# psycopg app that inserts one row; drives each with wrk (installed with apt-get when missing; a Python
# thread loader otherwise) and prints req/s, p50 and p99. The last line is the summary.
#
# Beside them (BENCH_FLOOR=0 leaves them out) two "floor" servers (bench/intake_floor.py): the SQL and
# Redis work an intake must do (four rows in one transaction under row-level security, tracking
# counter, rate limit, job after commit) with almost no Python, and the same with the transaction
# alone. Their rates bound what any intake keeping those guarantees can reach on this machine.
# BENCH_FLOOR_VARIANTS (FLOOR_SKIP values, space-separated) runs other cuts of it.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_REQUESTS:-10000}
M=${BENCH_TENANTS:-10}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
WARMUP=${BENCH_WARMUP:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
WORKERS=${BENCH_WORKERS:-4}
PG=${BENCH_PG:-127.0.0.1:5432}
DBNAME=${BENCH_DB:-civic311_bench}
REDIS=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/3}
PY=${PY:-.venv/bin/python}
free_port() { $PY -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
INTAKE_PORT=${BENCH_INTAKE_PORT:-$(free_port)}
BARE_PORT=${BENCH_BARE_PORT:-$(free_port)}
FLOOR=${BENCH_FLOOR:-1}
FLOOR_VARIANTS=${BENCH_FLOOR_VARIANTS:-"none rate,peek,counter,rq"}  # FLOOR_SKIP values; none = nothing skipped
FLOORS=()  # port:FLOOR_SKIP
WORK=$(mktemp -d /tmp/civic311-bench.XXXXXX)
export PLATFORM_DOMAIN=bench.localhost

PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== tools"
if ! command -v wrk >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
      || (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1) \
      || true
  fi
fi
if command -v wrk >/dev/null 2>&1; then LOADER=wrk; else LOADER=python; fi
echo "load generator: $LOADER; $WORKERS gunicorn workers each; $CONNECTIONS connections; ${SECONDS_PER_RUN}s per run"

echo "== database $DBNAME on $PG (fresh), Redis $REDIS"
$PY - "$PG" "$DBNAME" <<'PYEOF'
import sys, psycopg
pg, name = sys.argv[1], sys.argv[2]
with psycopg.connect(f"postgresql://postgres@{pg}/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'civic311_app'").fetchone():
        conn.execute("CREATE ROLE civic311_app LOGIN")
with psycopg.connect(f"postgresql://postgres@{pg}/{name}", autocommit=True) as conn:
    conn.execute("CREATE TABLE bare_requests (id uuid PRIMARY KEY, service_code text, description text, "
                 "lat double precision, lng double precision, email text, created_at timestamptz DEFAULT now())")
    conn.execute("GRANT INSERT, SELECT ON bare_requests TO civic311_app")
PYEOF
$PY -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()" "$REDIS"

export DATABASE_URL="postgresql://civic311_app@$PG/$DBNAME"
export MIGRATION_DATABASE_URL="postgresql://postgres@$PG/$DBNAME"
export BARE_DATABASE_URL="postgresql://civic311_app@$PG/$DBNAME"
export CIVIC311_INSTANCE="$WORK/instance"
export SECRET_KEY=bench-secret
export REDIS_URL="$REDIS"
export UPLOAD_DIR="$WORK/uploads"

echo "== migrate"
.venv/bin/civic311 migrate 2>&1 | tail -1
echo "== seed $N requests over $M cities"
$PY bench/intake_seed.py "$N" "$M" "$WORK" 2>&1 | grep -v " INFO " || true

echo "== start servers"
.venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$INTAKE_PORT" --log-level warning wsgi:app >"$WORK/intake.log" 2>&1 &
PIDS+=($!)
.venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$BARE_PORT" --log-level warning --chdir bench intake_bare:app \
  >"$WORK/bare.log" 2>&1 &
PIDS+=($!)
if [ "$FLOOR" != 0 ]; then
  for skip in $FLOOR_VARIANTS; do
    port=$(free_port)
    FLOORS+=("$port:$skip")
    FLOOR_SKIP=${skip#none} .venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$port" --log-level warning \
      --chdir bench intake_floor:app >"$WORK/floor-$port.log" 2>&1 &
    PIDS+=($!)
  done
fi
for port in "$INTAKE_PORT" "$BARE_PORT" "${FLOORS[@]%%:*}"; do
  for attempt in $(seq 1 150); do
    if $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$port" 2>/dev/null; then
      break
    fi
    if [ "$attempt" = 150 ]; then echo "server on port $port did not start:"; tail -5 "$WORK"/*.log; exit 1; fi
    sleep 0.2
  done
done
for pid in "${PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "a server exited:"; tail -5 "$WORK"/*.log; exit 1; }
done

drive() {  # port seconds -> RESULT requests rps p50 p99 errors
  local output
  if [ "$LOADER" = wrk ]; then
    output=$(TARGETS="$WORK/targets.lua" wrk -t 2 -c "$CONNECTIONS" -d "${2}s" --timeout 30s \
      -s bench/intake_wrk.lua "http://127.0.0.1:$1" 2>&1)
  else
    output=$($PY bench/intake_load.py "$1" "$2" "$CONNECTIONS" "$WORK/targets.json" "$PLATFORM_DOMAIN" 2>&1)
  fi
  if ! grep -q '^RESULT' <<<"$output"; then
    echo "the load generator failed:" >&2; echo "$output" >&2; return 1
  fi
  grep '^RESULT' <<<"$output"
}

ratio() {  # a b -> a / b, two decimals
  $PY -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"
}

busy_ticks() {  # busy and total CPU ticks of the whole machine so far (/proc/stat)
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

measure() {  # port -> RESULT requests rps p50 p99 errors cpu-busy-percent (both cores, whole machine)
  local before after result
  before=$(busy_ticks)
  result=$(drive "$1" "$SECONDS_PER_RUN")
  after=$(busy_ticks)
  echo "$result $(( (${after% *} - ${before% *}) * 100 / (${after#* } - ${before#* }) ))"
}

echo "== warm up (${WARMUP}s each: every gunicorn worker pays its first-request cost here)"
drive "$INTAKE_PORT" "$WARMUP" >/dev/null
drive "$BARE_PORT" "$WARMUP" >/dev/null
for floor in "${FLOORS[@]}"; do drive "${floor%%:*}" "$WARMUP" >/dev/null; done
for pid in "${PIDS[@]}"; do  # a server whose workers failed to boot has exited by now
  kill -0 "$pid" 2>/dev/null || { echo "a server exited:"; tail -n 5 "$WORK"/*.log; exit 1; }
done

echo "== measure"
read -r _ I_N I_RPS I_P50 I_P99 I_ERR I_CPU < <(measure "$INTAKE_PORT")
read -r _ B_N B_RPS B_P50 B_P99 B_ERR B_CPU < <(measure "$BARE_PORT")
FLOOR_LINES=()
for floor in "${FLOORS[@]}"; do
  read -r _ F_N F_RPS F_P50 F_P99 F_ERR F_CPU < <(measure "${floor%%:*}")
  case "${floor#*:}" in
    none) label="floor  (intake's SQL + Redis):" ;;
    rate,peek,counter,rq) label="floor  (its transaction alone):" ;;
    *) label="floor  (without ${floor#*:}):" ;;
  esac
  FLOOR_LINES+=("$(printf "%-31s %8s requests  %8s req/s  p50 %6s ms  p99 %6s ms  errors %s  cpu %s%%  (%s of bare)" \
    "$label" "$F_N" "$F_RPS" "$F_P50" "$F_P99" "$F_ERR" "$F_CPU" "$(ratio "$F_RPS" "$B_RPS")")")
done
printf "intake (civic311 Open311 POST): %8s requests  %8s req/s  p50 %6s ms  p99 %6s ms  errors %s  cpu %s%%\n" \
  "$I_N" "$I_RPS" "$I_P50" "$I_P99" "$I_ERR" "$I_CPU"
printf "bare   (Flask + one INSERT):    %8s requests  %8s req/s  p50 %6s ms  p99 %6s ms  errors %s  cpu %s%%\n" \
  "$B_N" "$B_RPS" "$B_P50" "$B_P99" "$B_ERR" "$B_CPU"
echo "(cpu: how busy the machine's cores were during that run; near 100 % the rate is bound by CPU)"
for line in "${FLOOR_LINES[@]}"; do echo "$line"; done
if [ "$I_ERR" != 0 ]; then
  echo "intake answered errors; first lines of its log:"; head -20 "$WORK/intake.log"
fi
$PY - "$DATABASE_URL" <<'PYEOF'
import sys, psycopg
url = sys.argv[1].replace("civic311_app", "postgres")
with psycopg.connect(url) as conn:
    total = conn.execute("SELECT count(*) FROM service_requests").fetchone()[0]
    pending = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
print(f"requests in the database: {total} (seeded, civic311's and the floors'); outbox rows waiting for a worker: "
      f"{pending} (no worker runs here)")
PYEOF
RATIO=$(ratio "$I_RPS" "$B_RPS")
echo "intake: ${I_RPS%.*} req/s, bare: ${B_RPS%.*} req/s, ratio $RATIO"
