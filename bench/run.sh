#!/usr/bin/env bash
# Ferrid load benchmark (issue 5). Not a test: it measures, prints a table and exits 0
# whether or not the targets are met (non-zero only if the benchmark itself could not run).
#
#   bash bench/run.sh            # from the repository root
#
# Builds the release binary, starts it on loopback (a free port) with a fresh SQLite
# database in a temporary directory, mints tokens through the login and consent pages
# (bench/setup_tokens.py), loads each endpoint with wrk, measures the raw one-core RS256
# signing rate with the key-store benchmark (benches/jwt.rs), reads the server's peak RSS,
# stops the server and removes the directory. Raw outputs are kept in target/bench/.
#
# Knobs (environment): BENCH_DURATION (seconds per endpoint, 10), BENCH_CONNECTIONS (32),
# BENCH_THREADS (wrk threads, 2), BENCH_REFRESH_POOL (refresh token families, 40),
# BENCH_SKIP_BUILD=1 (use the existing target/release/ferrid), BENCH_SQLITE_SYNCHRONOUS
# (full, the default, or normal: database.sqlite_synchronous).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
POOL=${BENCH_REFRESH_POOL:-40}
BIN=$ROOT/target/release/ferrid

say() { printf '\n== %s\n' "$*"; }

# --- tools --------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing wrk (Debian package)"
        apt-get install -y -qq wrk >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
    else
        echo "bench: wrk is missing; install it with: sudo apt-get install wrk" >&2
        exit 1
    fi
fi
for tool in python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required" >&2; exit 1; }
done
if (( POOL < CONNECTIONS + THREADS )); then
    echo "bench: BENCH_REFRESH_POOL must be at least BENCH_CONNECTIONS + BENCH_THREADS" >&2
    exit 1
fi

say "machine"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; others' compiles depress the figures)"

# --- build --------------------------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "building (cargo build --release; cargo bench --bench jwt --no-run)"
    cargo build --release --quiet
    cargo bench --bench jwt --no-run --quiet 2>/dev/null || cargo bench --bench jwt --no-run
fi
[ -x "$BIN" ] || { echo "bench: $BIN is missing" >&2; exit 1; }

# --- server -------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferrid-bench.XXXXXX")
RESULTS=$ROOT/target/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    [ -f "$TMP/server.log" ] && cp "$TMP/server.log" "$RESULTS/" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# Only this run's settings: no inherited FERRID__* variable changes what is measured.
for v in $(env | grep -o '^FERRID__[A-Z0-9_]*' || true); do unset "$v"; done
export FERRID__SERVER__BIND=127.0.0.1:$PORT
export FERRID__SERVER__DATA_DIR=$TMP
export FERRID__DATABASE__URL=sqlite://$TMP/ferrid.db
export FERRID__DATABASE__SQLITE_SYNCHRONOUS=${BENCH_SQLITE_SYNCHRONOUS:-full}
export FERRID__MAIL__OUTBOX_DIR=$TMP/outbox
export RUST_LOG=${BENCH_RUST_LOG:-warn}

say "starting ferrid on $BASE (data in $TMP, sqlite_synchronous=$FERRID__DATABASE__SQLITE_SYNCHRONOUS)"
"$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
    curl -fs -o /dev/null "$BASE/readyz" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; echo "bench: the server exited" >&2; exit 1; }
    sleep 0.1
done
curl -fs -o /dev/null "$BASE/readyz" || { cat "$TMP/server.log" >&2; echo "bench: not ready after 30 s" >&2; exit 1; }

# --- client, user and tokens ----------------------------------------------------------------
REDIRECT=https://bench.example/cb
EMAIL=bench@example.com
PASSWORD="quiet lantern over the harbour 42"
CLIENT_JSON=$("$BIN" client add --name Bench --redirect-uri "$REDIRECT" \
    --grant authorization_code --grant refresh_token --grant client_credentials \
    --scope "openid email offline_access bench.read" --json)
CLIENT_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$CLIENT_JSON")
CLIENT_SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$CLIENT_JSON")
BASIC=$(python3 -c 'import base64,sys,urllib.parse as u; print(base64.b64encode((u.quote(sys.argv[1], safe="") + ":" + u.quote(sys.argv[2], safe="")).encode()).decode())' "$CLIENT_ID" "$CLIENT_SECRET")
echo "$PASSWORD" | "$BIN" user add --email "$EMAIL" --name "Bench User" --password-stdin >/dev/null

say "minting $POOL refresh token families and a user access token (login + consent pages)"
python3 "$BENCH_DIR/setup_tokens.py" "$BASE" "$CLIENT_ID" "$CLIENT_SECRET" "$REDIRECT" \
    "$EMAIL" "$PASSWORD" "$POOL" "$TMP"
ACCESS_TOKEN=$(cat "$TMP/access_token.txt")

# Each endpoint answers 200 before it is loaded (a benchmark of error pages is worthless).
check() {
    local name=$1; shift
    local code
    code=$(curl -s -o "$TMP/check.out" -w '%{http_code}' "$@")
    if [ "$code" != 200 ]; then
        echo "bench: $name answered $code: $(head -c 500 "$TMP/check.out")" >&2
        exit 1
    fi
}
check discovery "$BASE/.well-known/openid-configuration"
check jwks "$BASE/jwks"
check client_credentials -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d scope=bench.read "$BASE/token"
check userinfo -H "Authorization: Bearer $ACCESS_TOKEN" "$BASE/userinfo"

# --- load ---------------------------------------------------------------------------------
# User + system CPU time of the server so far, in clock ticks (fields 14 and 15).
server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
RESULT_LINES=$TMP/results.txt
: >"$RESULT_LINES"
load() {
    local name=$1; shift
    echo "-- $name: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
    local cpu0 t0 cpu1 t1
    cpu0=$(server_cpu_ticks); t0=$(date +%s.%N)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" \
        >"$RESULTS/wrk-$name.txt" 2>&1 || { cat "$RESULTS/wrk-$name.txt" >&2; exit 1; }
    cpu1=$(server_cpu_ticks); t1=$(date +%s.%N)
    local line
    line="$(grep '^RESULT ' "$RESULTS/wrk-$name.txt" | tail -1) server_cpu=$(python3 -c \
        'import os, sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf("SC_CLK_TCK") / (float(sys.argv[4]) - float(sys.argv[3])), 2))' \
        "$cpu0" "$cpu1" "$t0" "$t1")"
    [[ "$line" == RESULT* ]] || { cat "$RESULTS/wrk-$name.txt" >&2; echo "bench: no result from wrk" >&2; exit 1; }
    echo "$name $line" | tee -a "$RESULT_LINES"
}

say "load: $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per endpoint (load generator on the same machine)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# A short warm-up so the first measured endpoint does not pay for cold caches.
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$BASE/.well-known/openid-configuration" >/dev/null 2>&1 || true
load discovery -s "$BENCH_DIR/get.lua" "$BASE/.well-known/openid-configuration"
load jwks -s "$BENCH_DIR/get.lua" "$BASE/jwks"
load client_credentials -s "$BENCH_DIR/client_credentials.lua" "$BASE/token" -- "$BASIC" bench.read
load refresh_token -s "$BENCH_DIR/refresh_token.lua" "$BASE/token" -- "$TMP/refresh_tokens.txt" "$THREADS" "$BASIC"
load userinfo -s "$BENCH_DIR/get.lua" -H "Authorization: Bearer $ACCESS_TOKEN" "$BASE/userinfo"

PEAK_RSS_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# --- raw RS256 signing rate of one core ---------------------------------------------------------
say "raw RS256 signing rate, one core (server stopped)"
PIN=()
command -v taskset >/dev/null 2>&1 && PIN=(taskset -c "$(($(nproc) - 1))")
SIGN_SOURCE=
SIGN_RATE=
if "${PIN[@]}" cargo bench --quiet --bench jwt -- 'jwt/sign/RS256' --warm-up-time 1 --measurement-time 3 --noplot \
        >"$RESULTS/criterion-rs256.txt" 2>&1; then
    SIGN_RATE=$(python3 - "$RESULTS/criterion-rs256.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"time:\s*\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", text)
if m:
    scale = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    print(round(1 / (float(m.group(1)) * scale)))
EOF
)
    [ -n "$SIGN_RATE" ] && SIGN_SOURCE="key-store benchmark: cargo bench --bench jwt jwt/sign/RS256-2048 (josekit/OpenSSL, criterion median)"
fi
if [ -z "$SIGN_RATE" ]; then
    "${PIN[@]}" openssl speed -seconds 3 rsa2048 >"$RESULTS/openssl-speed.txt" 2>/dev/null
    SIGN_RATE=$(awk '/^rsa 2048 bits/ {print int($6)}' "$RESULTS/openssl-speed.txt")
    SIGN_SOURCE="openssl speed rsa2048 (raw RSA-2048 sign/s; the criterion benchmark did not run)"
fi
echo "RS256 sign: $SIGN_RATE/s on one core — $SIGN_SOURCE"

# --- report -------------------------------------------------------------------------------------
say "results"
python3 - "$RESULT_LINES" "$SIGN_RATE" "$PEAK_RSS_KB" "$RSS_KB" "$CONNECTIONS" <<'EOF' | tee "$RESULTS/table.md"
import os, sys
lines, sign_rate, peak_kb, rss_kb, conns = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
P99_MS = 50.0
floor = {
    "discovery": (30000, "≥ 30,000 req/s"),
    "jwks": (30000, "≥ 30,000 req/s"),
    "client_credentials": (sign_rate, f"≥ {sign_rate:,.0f} req/s (50 % of 2 × one-core RS256)"),
    "refresh_token": (1000, "≥ 1,000 req/s"),
    "userinfo": (0, "—"),
}
rows = []
for line in open(lines):
    name, _, *fields = line.split()
    f = dict(x.split("=", 1) for x in fields)
    rps, p50, p99 = float(f["rps"]), int(f["p50_us"]) / 1000, int(f["p99_us"]) / 1000
    bad = int(f["non2xx"]) + int(f["sockerr"]) + int(f.get("no_new_token", 0)) + int(f.get("starved", 0))
    need, text = floor[name]
    ok = rps >= need and p99 < P99_MS and bad == 0
    rows.append((name, f"{rps:,.0f}", f"{p50:.2f} ms", f"{p99:.2f} ms", str(bad), f["server_cpu"],
                 f"{text}, p99 < 50 ms", "PASS" if ok else "MISS"))
peak_mb = peak_kb / 1024
rows.append(("server peak RSS", f"{peak_mb:.1f} MB", "", "", "", "", "< 60 MB", "PASS" if peak_mb < 60 else "MISS"))
head = ("endpoint", "req/s", "p50", "p99", "errors", "server CPU", f"target ({conns} connections)", "result")
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print(f"errors: responses >= 400 + socket errors (+ refreshes that returned no new token);"
      f" server CPU: cores the server used during the run (of {os.cpu_count()}, shared with wrk);"
      f" RSS after the runs {rss_kb / 1024:.1f} MB, peak (VmHWM) {peak_mb:.1f} MB")
EOF
echo "one-core RS256 sign rate: ${SIGN_RATE}/s ($SIGN_SOURCE)"
echo "load average (1, 5, 15 min): $LOAD_BEFORE before the load runs, $LOAD_AFTER after them"
echo "raw outputs: $RESULTS"
