#!/usr/bin/env bash
# CI's fuzz smoke: builds every fuzz target once, then runs each target that `cargo fuzz list`
# names (so a new target is included as soon as it has a [[bin]] in fuzz/Cargo.toml) for
# FUZZ_SMOKE_SECONDS (default 20) from its committed seeds in fuzz/seeds/<target>/ (an empty
# corpus if it has none), with its dictionary and length limit (see fuzz/README.md). Inputs
# found are written to a temporary directory, so the committed seeds stay as they are. A
# finding fails the run and prints the end of libFuzzer's output (the crash input is in
# fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SMOKE_SECONDS:-20}

# libFuzzer options per target; a target not listed runs with none.
options() {
    case $1 in
        parse) echo "-dict=fuzz/rules.dict -max_len=512" ;;
        rules_body) echo "-dict=fuzz/rules.dict" ;;
        ingest) echo "-dict=fuzz/ingest.dict -max_len=20000" ;;
        match_vs_reference) echo "-dict=fuzz/ingest.dict -max_len=16000" ;;
        output) echo "-dict=fuzz/ingest.dict" ;;
        live) echo "-max_len=2048" ;;
        *) echo "" ;;
    esac
}

cargo fuzz build -s none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $(cargo fuzz list); do
    mkdir -p "$work/$t"
    dirs=("$work/$t")
    if [ -d "fuzz/seeds/$t" ]; then
        dirs+=("fuzz/seeds/$t")
    fi
    # shellcheck disable=SC2046 # options are words
    if cargo fuzz run -s none "$t" "${dirs[@]}" -- -max_total_time="$secs" $(options "$t") \
        >"$work/$t.log" 2>&1; then
        echo "fuzz $t: $(grep -E '^#[0-9]+' "$work/$t.log" | tail -n 1)"
    else
        tail -n 60 "$work/$t.log"
        echo "fuzz $t: FAILED (input in fuzz/artifacts/$t/)"
        exit 1
    fi
done
