#!/usr/bin/env bash
# Runs every DaprIoT test suite against real infrastructure on loopback and ends with one line:
#   N passed, N failed
# .NET: unit, integration and end-to-end conformance tests (dotnet test on DaprIoT.sln).
# Firmware: CTest (plain and sanitized builds), contract vectors, fuzzing, cross-compile size, device load.
set -uo pipefail
cd "$(dirname "$0")"

deploy/local/prerequisites.sh
deploy/local/infra.sh start || exit 1

passed=0
failed=0
log="$(mktemp)"
failures="$(mktemp)"

echo "== .NET build (and the firmware simulator the device services' end-to-end tests run)"
if cmake -S firmware -B firmware/build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
   && cmake --build firmware/build -j "$(nproc)" --target dapriot-devices >/dev/null \
   && dotnet build DaprIoT.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "== .NET tests"
  dotnet test DaprIoT.sln -c Release --no-build -nologo 2>&1 | tee "$log"
  dotnet_status=${PIPESTATUS[0]}
  while read -r f p; do
    passed=$((passed + p)); failed=$((failed + f))
  done < <(sed -nE 's/.*Failed: +([0-9]+), Passed: +([0-9]+),.*/\1 \2/p' "$log")
  # Each failed test with its message and the line of ours it failed at: the end of a long log is often all a
  # reader has.
  awk '
    /^  Failed [^ ]/ { name = $0; sub(/^  Failed /, "  ", name); sub(/ \[[^]]*\]$/, "", name); print name; state = "name"; next }
    state == "name" && /^  Error Message:/ { state = "message"; lines = 0; next }
    state == "message" && /^  Stack Trace:/ { state = "stack"; next }
    state == "message" { if (lines++ < 20) print "      " $0; next }
    state == "stack" && / in .*:line [0-9]+$/ { at = $0; sub(/^ *at /, "", at); print "      at " at; state = ""; next }
  ' "$log" >> "$failures"
  # A test host that crashed prints no summary: count the run as a failure rather than lose it.
  if [ "$dotnet_status" -ne 0 ] && ! grep -qE 'Failed: +[1-9]' "$log"; then failed=$((failed + 1)); fi
else
  echo "The build failed" >&2
  failed=$((failed + 1))
fi

if [ -x firmware/test.sh ]; then
  echo "== firmware"
  firmware/test.sh 2>&1 | tee "$log"
  firmware_status=${PIPESTATUS[0]}
  sed -nE 's/^== FAIL: /  firmware: /p' "$log" >> "$failures"
  if read -r p f < <(sed -nE 's/^firmware: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -1); then
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$firmware_status" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
  else
    failed=$((failed + 1))
  fi
fi

# The failing tests again at the end, where a reader of the log's tail will see them.
if [ -s "$failures" ]; then
  echo "== failed tests"
  cat "$failures"
fi
rm -f "$log" "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
