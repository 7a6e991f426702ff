#!/usr/bin/env bash
# Ferrid on SQLite, on PostgreSQL, and as two replicas on PostgreSQL behind nginx, side by
# side (issue 13.8). Not a test: it measures, prints a table and exits 0 (non-zero only when
# the benchmark itself could not run).
#
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/ferrid_bench bash bench/compare.sh
#
# For each setup it starts the release binary (one or two replicas; the two behind nginx from
# Debian, installed when missing and run as root), mints tokens through the login and consent
# pages (bench/setup_tokens.py), and loads client_credentials, refresh_token, userinfo,
# introspection and password logins with wrk. The PostgreSQL database must exist; the
# benchmark works in a schema of its own (ferrid_bench, dropped and made again). With
# BENCH_REDIS_URL the PostgreSQL setups count throttling in Redis, as replicas would.
#
# Everything runs on one machine: wrk, nginx, PostgreSQL and the replicas share its cores, so
# two replicas show the cost of contention, not scale. The table notes how much CPU wrk
# itself took. Knobs: BENCH_DURATION (seconds per endpoint, 5), BENCH_CONNECTIONS (32),
# BENCH_THREADS (2), BENCH_MODES ("sqlite postgres replicas"), BENCH_SQLITE_SYNCHRONOUS
# (full), BENCH_SKIP_BUILD=1, and
# BENCH_BIN (another binary: a debug build checks the script, its figures mean nothing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
DURATION=${BENCH_DURATION:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
POOL=$((CONNECTIONS + THREADS + 8))
MODES=${BENCH_MODES:-"sqlite postgres replicas"}
BIN=${BENCH_BIN:-$ROOT/target/release/ferrid}
PG=${BENCH_POSTGRES_URL:-}

say() { printf '\n== %s\n' "$*"; }
die() { echo "bench: $*" >&2; exit 1; }

need_pkg() { # command, Debian package
    command -v "$1" >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing $2 (Debian package)"
        apt-get install -y -qq "$2" >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    else
        die "$1 is missing; install it with: sudo apt-get install $2"
    fi
}
need_pkg wrk wrk
case " $MODES " in *" replicas "*) need_pkg nginx nginx-light ;; esac
case " $MODES " in *" postgres "*|*" replicas "*)
    [ -n "$PG" ] || die "set BENCH_POSTGRES_URL to an existing PostgreSQL database"
    need_pkg psql postgresql-client ;;
esac
for tool in python3 curl; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done

say "machine"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "building (cargo build --release)"
    cargo build --release --quiet
fi
[ -x "$BIN" ] || die "$BIN is missing"

RESULTS=$ROOT/target/bench/compare-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
RESULT_LINES=$RESULTS/results.txt
: >"$RESULT_LINES"
PIDS=()
TMP=
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [ -n "$TMP" ]; then
        cp "$TMP"/*.log "$RESULTS/" 2>/dev/null || true
        rm -rf "$TMP"
        TMP=
    fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# User + system CPU seconds of these processes so far.
cpu_of() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }

# One wrk run: its RESULT line, with the CPU the servers (and nginx) used and the CPU wrk
# itself used, in cores over the run.
load() {
    local mode=$1 name=$2; shift 2
    local out=$RESULTS/wrk-$mode-$name.txt cpu0 cpu1 t0 t1 line
    cpu0=$(cpu_of "${PIDS[@]}"); t0=$(date +%s.%N)
    python3 - "$out" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as f:
    rc = subprocess.call(sys.argv[2:], stdout=f, stderr=subprocess.STDOUT)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    f.write(f"\nWRK_CPU_SECONDS {ru.ru_utime + ru.ru_stime:.2f}\n")
sys.exit(rc)
PY
    cpu1=$(cpu_of "${PIDS[@]}"); t1=$(date +%s.%N)
    line=$(grep '^RESULT ' "$out" | tail -1) || { cat "$out" >&2; die "no result from wrk"; }
    line="$line $(python3 -c 'import os, sys
ticks = os.sysconf("SC_CLK_TCK"); secs = float(sys.argv[4]) - float(sys.argv[3])
print(f"server_cpu={(int(sys.argv[2]) - int(sys.argv[1])) / ticks / secs:.2f} wrk_cpu={float(sys.argv[5]) / secs:.2f}")' \
        "$cpu0" "$cpu1" "$t0" "$t1" "$(awk '/^WRK_CPU_SECONDS/ {print $2}' "$out")")"
    echo "$mode $name $line" | tee -a "$RESULT_LINES"
}

run_mode() {
    local mode=$1 replicas=1 db
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferrid-compare.XXXXXX")
    for v in $(env | grep -o '^FERRID__[A-Z0-9_]*' || true); do unset "$v"; done
    case $mode in
        sqlite) db=sqlite://$TMP/ferrid.db ;;
        postgres|replicas)
            psql "$PG" -qX -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS ferrid_bench CASCADE" \
                -c "CREATE SCHEMA ferrid_bench" >/dev/null
            local sep='?'; [[ "$PG" == *\?* ]] && sep='&'
            db="$PG${sep}options=-csearch_path%3Dferrid_bench"
            if [ -n "${BENCH_REDIS_URL:-}" ]; then
                export FERRID__RATE_LIMIT__REDIS_URL=$BENCH_REDIS_URL
                export FERRID__RATE_LIMIT__REDIS_KEY_PREFIX="ferrid-bench:$$:$mode:"
            fi ;;
        *) die "unknown mode $mode" ;;
    esac
    [ "$mode" = replicas ] && replicas=2
    local ports=() front
    for _ in $(seq "$replicas"); do ports+=("$(free_port)"); done
    front=${ports[0]}
    [ "$replicas" -gt 1 ] && front=$(free_port)
    local base=http://127.0.0.1:$front
    export FERRID__DATABASE__URL=$db
    export FERRID__SERVER__ISSUER=$base
    export FERRID__SERVER__DATA_DIR=$TMP
    export FERRID__MAIL__OUTBOX_DIR=$TMP/outbox
    export FERRID__SERVER__MAX_CONNECTIONS_PER_IP=0
    # BENCH_SQLITE_SYNCHRONOUS=normal measures SQLite's cheaper, less durable commits.
    export FERRID__DATABASE__SQLITE_SYNCHRONOUS=${BENCH_SQLITE_SYNCHRONOUS:-full}
    export FERRID__SECRETS__MASTER_KEY=$(head -c 32 /dev/urandom | base64)
    # The login benchmark logs one account in from one address, over and over: throttling
    # would measure itself.
    export FERRID__RATE_LIMIT__LOGIN_PER_ACCOUNT_IP=100000000
    export FERRID__RATE_LIMIT__LOGIN_PER_IP=100000000
    export RUST_LOG=${BENCH_RUST_LOG:-warn}

    say "$mode: $replicas replica(s), $db, front $base"
    local i
    for i in $(seq 0 $((replicas - 1))); do
        FERRID__SERVER__BIND=127.0.0.1:${ports[$i]} "$BIN" serve >"$TMP/ferrid-$mode-$i.log" 2>&1 &
        PIDS+=($!)
    done
    if [ "$replicas" -gt 1 ]; then
        mkdir -p "$TMP/nginx"
        {
            echo "worker_processes 1; daemon off; pid $TMP/nginx/nginx.pid; error_log $TMP/nginx-$mode.log warn;"
            echo "events { worker_connections 4096; }"
            echo "http { access_log off; client_body_temp_path $TMP/nginx/body; proxy_temp_path $TMP/nginx/proxy;"
            echo "  fastcgi_temp_path $TMP/nginx/fcgi; uwsgi_temp_path $TMP/nginx/uwsgi; scgi_temp_path $TMP/nginx/scgi;"
            printf '  upstream ferrid {'
            for p in "${ports[@]}"; do printf ' server 127.0.0.1:%s;' "$p"; done
            echo ' keepalive 64; }'
            echo "  server { listen 127.0.0.1:$front; location / { proxy_pass http://ferrid;"
            echo '    proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host; } } }'
        } >"$TMP/nginx.conf"
        nginx -c "$TMP/nginx.conf" -p "$TMP/nginx" >"$TMP/nginx-stdout-$mode.log" 2>&1 &
        PIDS+=($!)
    fi
    for p in "${ports[@]}" "$front"; do
        for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$p/readyz" && break; sleep 0.1; done
        curl -fs -o /dev/null "http://127.0.0.1:$p/readyz" || { cat "$TMP"/*.log >&2; die "$mode: port $p not ready"; }
    done

    local redirect=https://bench.example/cb email=ada@example.com password="load generator passphrase 77"
    local client id secret basic
    client=$("$BIN" client add --name Bench --redirect-uri "$redirect" \
        --grant authorization_code --grant refresh_token --grant client_credentials \
        --scope "openid email offline_access bench.read" --json)
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$client")
    secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$client")
    basic=$(python3 -c 'import base64,sys,urllib.parse as u; print(base64.b64encode((u.quote(sys.argv[1], safe="") + ":" + u.quote(sys.argv[2], safe="")).encode()).decode())' "$id" "$secret")
    echo "$password" | "$BIN" user add --email "$email" --name "Bench User" --password-stdin >/dev/null
    python3 "$BENCH_DIR/setup_tokens.py" "$base" "$id" "$secret" "$redirect" "$email" "$password" "$POOL" "$TMP" >/dev/null
    local access csrf
    access=$(cat "$TMP/access_token.txt")
    curl -fs -c "$TMP/cookies.txt" -o /dev/null "$base/login"
    csrf=$(awk '$6 == "ferrid_csrf" {print $7}' "$TMP/cookies.txt")
    [ -n "$csrf" ] || die "$mode: no CSRF cookie from /login"

    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$base/.well-known/openid-configuration" >/dev/null 2>&1 || true
    load "$mode" client_credentials -s "$BENCH_DIR/client_credentials.lua" "$base/token" -- "$basic" bench.read
    load "$mode" refresh_token -s "$BENCH_DIR/refresh_token.lua" "$base/token" -- "$TMP/refresh_tokens.txt" "$THREADS" "$basic"
    load "$mode" userinfo -s "$BENCH_DIR/get.lua" -H "Authorization: Bearer $access" "$base/userinfo"
    load "$mode" introspection -s "$BENCH_DIR/introspect.lua" "$base/introspect" -- "$basic" "$access"
    load "$mode" login -s "$BENCH_DIR/login.lua" "$base/login" -- "$csrf" "$email" "$password"
    stop_all
    unset FERRID__RATE_LIMIT__REDIS_URL FERRID__RATE_LIMIT__REDIS_KEY_PREFIX
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for mode in $MODES; do run_mode "$mode"; done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
[ -n "$PG" ] && psql "$PG" -qX -c "DROP SCHEMA IF EXISTS ferrid_bench CASCADE" >/dev/null 2>&1 || true

say "results ($CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s each)"
python3 - "$RESULT_LINES" "$MODES" <<'PY' | tee "$RESULTS/table.md"
import os, sys
rows, modes = {}, sys.argv[2].split()
names = {"sqlite": "SQLite", "postgres": "PostgreSQL", "replicas": "2 replicas (PostgreSQL, nginx)"}
order = []
for line in open(sys.argv[1]):
    mode, endpoint, _, *fields = line.split()
    f = dict(x.split("=", 1) for x in fields)
    bad = sum(int(f.get(k, 0)) for k in ("non2xx", "sockerr", "no_new_token", "starved", "not_303"))
    rows[(endpoint, mode)] = (float(f["rps"]), int(f["p99_us"]) / 1000, bad, f["server_cpu"], f["wrk_cpu"])
    if endpoint not in order:
        order.append(endpoint)
head = ["endpoint"] + [names[m] for m in modes]
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for e in order:
    cells = [e.replace("_", " ")]
    for m in modes:
        r = rows.get((e, m))
        if r is None:
            cells.append("—")
            continue
        rps, p99, bad, server, wrk = r
        err = f", {bad} errors" if bad else ""
        cells.append(f"{rps:,.0f}/s, p99 {p99:.1f} ms (server {server}, wrk {wrk} cores{err})")
    print("| " + " | ".join(cells) + " |")
print()
print(f"cores: {os.cpu_count()}, shared by wrk, nginx, PostgreSQL and the replicas;"
      " 'server' counts the replicas and nginx, 'wrk' the load generator")
PY
echo "load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo "raw outputs: $RESULTS"
