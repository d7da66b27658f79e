#!/usr/bin/env bash
# Runs each cargo-fuzz target for a given time and prints its executions.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    (default: 600 s, every target)
# Needs cargo-fuzz and a nightly toolchain (FUZZ_TOOLCHAIN, default nightly).
# The corpus grows in fuzz/corpus/<target>; a crash leaves its input in
# fuzz/artifacts/<target> and fails the script; libFuzzer's output is kept in
# fuzz/artifacts/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +"${FUZZ_TOOLCHAIN:-nightly}" fuzz list)
fi

cargo +"${FUZZ_TOOLCHAIN:-nightly}" fuzz build -O
failed=0
for target in "${targets[@]}"; do
    mkdir -p artifacts
    log=artifacts/$target.log
    # -max_len: room for a body over the 16 KiB limit and a token over 8 KiB.
    if cargo +"${FUZZ_TOOLCHAIN:-nightly}" fuzz run "$target" -O -- \
        -max_total_time="$seconds" -max_len=20000 -print_final_stats=1 >"$log" 2>&1; then
        outcome=ok
    else
        outcome=CRASHED
        failed=1
        grep -E "panicked|ERROR|Test unit written" "$log" | head -5
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
    corpus=$(find "corpus/$target" -type f 2>/dev/null | wc -l)
    printf '%-22s %-8s %12s executions in %s s, corpus %s inputs\n' \
        "$target" "$outcome" "${runs:-?}" "$seconds" "$corpus"
done
exit "$failed"
