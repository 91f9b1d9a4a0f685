#!/usr/bin/env bash
# Cross-compiles the core and the SDK-free part of the ESP8266 port with xtensa-lx106-elf-gcc
# and picolibc, prints code and data sizes, the RAM one device takes, the deepest stack frame,
# and fails if any is over its budget.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CORE=$HERE/../../core
OUT=${1:-$HERE/../../build-xtensa}
BUDGET_TEXT=16384   # code + read-only data, bytes
BUDGET_DATA=0       # initialised + zeroed data: the core keeps no globals
BUDGET_DEVICE=2048  # sizeof(fw_device_t): RAM per device
BUDGET_STACK=1024   # largest single stack frame
CC=xtensa-lx106-elf-gcc
SPECS=$(dpkg -L picolibc-xtensa-lx106-elf 2>/dev/null | grep '/picolibc.specs$' | head -1 || true)
SPECS=${SPECS:-/usr/lib/xtensa-lx106-elf/picolibc.specs}
mkdir -p "$OUT"
rm -f "$OUT"/*.o "$OUT"/*.su
FLAGS=(--specs="$SPECS" -std=c11 -Wall -Wextra -Wpedantic -Werror -Os -mlongcalls -mtext-section-literals
       -ffunction-sections -fdata-sections -fstack-usage -I"$CORE" -I"$HERE/main")
OBJS=()
for src in "$CORE"/*.c "$HERE/main/hw.c"; do
    obj=$OUT/$(basename "${src%.c}").o
    "$CC" "${FLAGS[@]}" -c "$src" -o "$obj"
    OBJS+=("$obj")
done
# sizeof(fw_device_t) as the size of a symbol, read back with nm
printf '#include "device.h"\nconst char fw_device_bytes[sizeof(fw_device_t)] = {0};\n' > "$OUT/probe.c"
"$CC" "${FLAGS[@]}" -c "$OUT/probe.c" -o "$OUT/probe.o"
DEVICE=$((16#$(xtensa-lx106-elf-nm -S "$OUT/probe.o" | awk '/fw_device_bytes/ {print $2}')))

echo "xtensa-lx106-elf-size (core + ESP8266 hardware helpers, -Os):"
(cd "$OUT" && xtensa-lx106-elf-size -t "${OBJS[@]##*/}")
TOTALS=$(cd "$OUT" && xtensa-lx106-elf-size -t "${OBJS[@]##*/}" | tail -1)
TEXT=$(echo "$TOTALS" | awk '{print $1}')
DATA=$(( $(echo "$TOTALS" | awk '{print $2}') + $(echo "$TOTALS" | awk '{print $3}') ))
STACK=$(cat "$OUT"/*.su | sed 's|^.*/||' | awk '{ if ($2 + 0 > max) { max = $2 + 0; fn = $1 } } END { print max " " fn }')
STACK_BYTES=${STACK%% *}
FAIL=0
check() { # name value budget
    if [ "$2" -le "$3" ]; then echo "  $1: $2 bytes (budget $3) ok"; else echo "  $1: $2 bytes (budget $3) OVER"; FAIL=1; fi
}
echo "budgets:"
check "code (text)" "$TEXT" "$BUDGET_TEXT"
check "data + bss" "$DATA" "$BUDGET_DATA"
check "RAM per device (sizeof fw_device_t)" "$DEVICE" "$BUDGET_DEVICE"
check "largest stack frame (${STACK#* })" "$STACK_BYTES" "$BUDGET_STACK"
exit $FAIL
