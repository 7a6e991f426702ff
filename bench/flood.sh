#!/usr/bin/env bash
# Ferrid flood benchmark (issue 10, item 6). Not a test: it measures, prints a table and
# exits 0 (non-zero only if the benchmark itself could not run).
#
#   bash bench/flood.sh            # from the repository root
#
# How much does a flood of registrations (each an argon2id hash at the default OWASP cost)
# slow client_credentials at /token? For each value of password.max_concurrent_hashes in
# BENCH_FLOOD_HASHES (default "0 64": 0 is the default, one fewer than the cores; 64 is in
# effect unbounded, as before the hashing turns existed), it starts the release binary on a
# fresh SQLite database, loads client_credentials alone, then again while a second wrk
# floods /register with new addresses (the registration limits raised out of reach, as for
# an attacker with many addresses and IPs), and prints req/s, p50 and p99 of each run and
# the rate of the flood. Raw outputs are kept in target/bench/.
#
# Knobs (environment): BENCH_DURATION (seconds per run, 10), BENCH_CONNECTIONS (32),
# BENCH_FLOOD_CONNECTIONS (16), BENCH_THREADS (wrk threads, 2), BENCH_FLOOD_HASHES ("0 64"),
# BENCH_SKIP_BUILD=1 (use the existing target/release/ferrid).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export BENCH_DIR=$ROOT/bench
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
FLOOD_CONNECTIONS=${BENCH_FLOOD_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
HASHES=${BENCH_FLOOD_HASHES:-0 64}
BIN=$ROOT/target/release/ferrid

say() { printf '\n== %s\n' "$*"; }

for tool in wrk python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is required (bench/run.sh installs wrk)" >&2; exit 1; }
done
say "machine"
echo "cpus: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg) (others' compiles depress the figures)"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "building (cargo build --release)"
    cargo build --release --quiet
fi
[ -x "$BIN" ] || { echo "bench: $BIN is missing" >&2; exit 1; }

RESULTS=$ROOT/target/bench/flood-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
LINES=$RESULTS/results.txt
: >"$LINES"
TMP=
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    [ -n "$TMP" ] && rm -rf "$TMP"
    TMP=
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Starts the server with password.max_concurrent_hashes=$1; sets BASE, BASIC and CSRF.
start_server() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferrid-flood.XXXXXX")
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    BASE=http://127.0.0.1:$port
    for v in $(env | grep -o '^FERRID__[A-Z0-9_]*' || true); do unset "$v"; done
    export FERRID__SERVER__BIND=127.0.0.1:$port FERRID__SERVER__DATA_DIR=$TMP
    export FERRID__DATABASE__URL=sqlite://$TMP/ferrid.db FERRID__MAIL__OUTBOX_DIR=$TMP/outbox
    export FERRID__PASSWORD__MAX_CONCURRENT_HASHES=$1
    export FERRID__RATE_LIMIT__REGISTER_PER_IP=1000000000 FERRID__RATE_LIMIT__REGISTER_PER_EMAIL=1000000000
    export RUST_LOG=${BENCH_RUST_LOG:-warn}
    "$BIN" serve >"$RESULTS/server-$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do
        curl -fs -o /dev/null "$BASE/readyz" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RESULTS/server-$1.log" >&2; exit 1; }
        sleep 0.1
    done
    local json id secret
    json=$("$BIN" client add --name Bench --redirect-uri https://bench.example/cb --grant client_credentials --scope bench.read --json)
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$json")
    secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$json")
    BASIC=$(python3 -c 'import base64,sys,urllib.parse as u; print(base64.b64encode((u.quote(sys.argv[1], safe="") + ":" + u.quote(sys.argv[2], safe="")).encode()).decode())' "$id" "$secret")
    CSRF=$(curl -fs -D - -o /dev/null "$BASE/register" | sed -n 's/^[Ss]et-[Cc]ookie: ferrid_csrf=\([^;]*\).*/\1/p' | tr -d '\r')
    [ -n "$CSRF" ] || { echo "bench: no CSRF cookie from /register" >&2; exit 1; }
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -u "$id:$secret" -d grant_type=client_credentials -d scope=bench.read "$BASE/token")
    [ "$code" = 200 ] || { echo "bench: client_credentials answered $code" >&2; exit 1; }
    # A flood of refused forms would measure nothing: one registration must succeed (303).
    code=$(curl -s -o "$RESULTS/register-check.html" -w '%{http_code}' -H "Cookie: ferrid_csrf=$CSRF" \
        --data-urlencode "email=probe-$1@example.com" --data-urlencode "password=quiet-harbor-lantern-check" \
        --data-urlencode "name=Probe" --data-urlencode "csrf_token=$CSRF" "$BASE/register")
    [ "$code" = 303 ] || { echo "bench: /register answered $code (see $RESULTS/register-check.html)" >&2; exit 1; }
}

# wrk on client_credentials; appends "<hashes> <name> RESULT ..." to $LINES.
token_load() {
    local hashes=$1 name=$2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
        -s "$BENCH_DIR/client_credentials.lua" "$BASE/token" -- "$BASIC" bench.read \
        >"$RESULTS/wrk-$hashes-$name.txt" 2>&1
    echo "$hashes $name $(grep '^RESULT ' "$RESULTS/wrk-$hashes-$name.txt" | tail -1)" | tee -a "$LINES"
}

for hashes in $HASHES; do
    say "password.max_concurrent_hashes = $hashes"
    start_server "$hashes"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$BASE/.well-known/openid-configuration" >/dev/null 2>&1 || true
    token_load "$hashes" alone
    # The flood runs one second longer on each side of the measured run.
    wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$((DURATION + 2))s" --timeout 30s --latency \
        -s "$BENCH_DIR/register_flood.lua" "$BASE/register" -- "$CSRF" \
        >"$RESULTS/wrk-$hashes-flood.txt" 2>&1 &
    FLOOD_PID=$!
    sleep 1
    token_load "$hashes" flooded
    wait "$FLOOD_PID" || true
    echo "$hashes register_flood $(grep '^RESULT ' "$RESULTS/wrk-$hashes-flood.txt" | tail -1)" | tee -a "$LINES"
    stop_server
done

say "results (client_credentials at /token, $CONNECTIONS connections; flood: $FLOOD_CONNECTIONS connections on /register)"
python3 - "$LINES" "$(nproc)" <<'PY' | tee "$RESULTS/table.md"
import sys
rows = {}
for line in open(sys.argv[1]):
    hashes, name, _, *fields = line.split()
    rows[(hashes, name)] = dict(x.split("=", 1) for x in fields)
print("| max_concurrent_hashes | client_credentials alone: req/s, p50, p99 | under the flood: req/s, p50, p99 | flood: registrations/s, p99 | errors |")
print("|---|---|---|---|---|")
for hashes in dict.fromkeys(h for h, _ in rows):
    label = f"{hashes} (auto: {max(1, int(sys.argv[2]) - 1)})" if hashes == "0" else hashes
    def run(name):
        f = rows.get((hashes, name))
        if f is None:
            return "—", 0
        text = f"{float(f['rps']):,.0f}, {int(f['p50_us'])/1000:.2f} ms, {int(f['p99_us'])/1000:.2f} ms"
        return text, int(f["non2xx"]) + int(f["sockerr"])
    alone, e1 = run("alone")
    flooded, e2 = run("flooded")
    flood = rows.get((hashes, "register_flood"), {})
    flood_text = f"{float(flood.get('rps', 0)):,.0f}/s, {int(flood.get('p99_us', 0))/1000:.0f} ms"
    print(f"| {label} | {alone} | {flooded} | {flood_text} | {e1 + e2} on /token, {flood.get('non2xx', '?')} on /register |")
PY
echo "raw outputs: $RESULTS"
