#!/usr/bin/env bash
# Builds and checks the firmware: host build (-Werror) + ctest, ASan/UBSan build + ctest, a short
# fuzz run of the command decoder, the ESP8266 cross-compiled size check and the short load
# benchmark. Ends with one line "firmware: N passed, N failed"; exits non-zero on any failure.
#   FUZZ_SECONDS=30 (default)   LOAD_ARGS="--short" (default)
set -uo pipefail
cd "$(dirname "$0")"
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
LOAD_ARGS=${LOAD_ARGS:---short}
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "== PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "== FAIL: $1"; }
step() { # name command...
    local name=$1
    shift
    echo "== $name"
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# ctest DIR LABEL: runs ctest and counts its tests from the summary line
run_ctest() {
    local dir=$1 label=$2 log
    log=$(mktemp)
    (cd "$dir" && ctest --output-on-failure -j1) 2>&1 | tee "$log"
    local summary
    summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
    rm -f "$log"
    if [ -z "$summary" ]; then
        fail "$label ctest (no summary)"
        return
    fi
    local failed total
    failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
    total=$(echo "$summary" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
    PASSED=$((PASSED + total - failed))
    FAILED=$((FAILED + failed))
    echo "== $label ctest: $((total - failed)) passed, $failed failed"
}

build() { # dir cmake-args...
    local dir=$1
    shift
    mkdir -p "$dir" && cmake -S . -B "$dir" "$@" > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; return 1; }
    cmake --build "$dir" -j "$JOBS"
}

fuzz() {
    CC=clang-14 build build-fuzz -DFW_FUZZ=ON -DFW_HOST_PORT=OFF || return 1
    local corpus
    corpus=$(mktemp -d)
    # new inputs go to a scratch directory; the committed corpus only seeds the run
    ./build-fuzz/tests/fuzz_cmd -max_total_time="$FUZZ_SECONDS" -dict=tests/fuzz/cmd.dict -print_final_stats=1 \
        "$corpus" tests/fuzz/corpus > build-fuzz/fuzz.log 2>&1
    local rc=$?
    grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' build-fuzz/fuzz.log
    rm -rf "$corpus"
    if [ $rc -ne 0 ]; then tail -40 build-fuzz/fuzz.log; fi
    return $rc
}

mkdir -p build build-asan build-fuzz 2>/dev/null
if step "host build (-std=c11 -Wall -Wextra -Wpedantic -Werror)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
    HOST_OK=1
else
    HOST_OK=0
fi
[ $HOST_OK = 1 ] && run_ctest build "host"
if step "ASan+UBSan build" build build-asan -DFW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; then
    run_ctest build-asan "ASan+UBSan"
fi
step "fuzz the command decoder for ${FUZZ_SECONDS}s" fuzz
if python3 -c 'import jsonschema' 2>/dev/null; then
    step "contract vectors agree with the JSON Schemas" python3 ../tests/contracts/validate.py
else
    echo "== skipped: vectors against the JSON Schemas (needs python3-jsonschema)"
fi
step "ESP8266 cross-compiled size within budget" bash ports/esp8266/size-check.sh build-xtensa
if [ $HOST_OK = 1 ]; then
    step "load benchmark ($LOAD_ARGS)" bash bench/load.sh build/ports/host/dapriot-devices $LOAD_ARGS
else
    fail "load benchmark (no host build)"
fi
echo "firmware: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
