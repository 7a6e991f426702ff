#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 60 seconds each) and reports
# which found a crash. Not part of CI: run it by hand after changing a parser.
#
#   fuzz/run.sh [seconds] [target ...]
#
# cargo-fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. Install it once with `cargo install cargo-fuzz`. Crashes are kept under
# fuzz/artifacts/<target>/; replay one with `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>`.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build
failed=()
for target in "${targets[@]}"; do
    echo "== $target: ${seconds}s"
    mkdir -p "corpus/$target"
    # -rss_limit_mb: the JWT target holds RSA keys; 2 GB is libFuzzer's default too.
    if cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
        2>"fuzz-$target.log"; then
        tail -n 2 "fuzz-$target.log" | sed "s/^/   /"
    else
        echo "   FAILED: see fuzz/fuzz-$target.log and fuzz/artifacts/$target/"
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashes in: ${failed[*]}"
    exit 1
fi
echo "all ${#targets[@]} targets ran ${seconds}s without a crash"
