#!/usr/bin/env bash
# Load benchmark of the host port against a local Mosquitto started here (127.0.0.1, free port).
#   1. --devices-a devices (default 2000) stay online and report, and handle commands sent
#      meanwhile; memory must stay under 10 MB per 1000 devices (VmRSS of the simulator process,
#      read from /proc/self/status).
#   2. --devices-b devices (default 10000) publish --rate (default 10000) telemetry msg/s in total;
#      the achieved rate, measured once every device is online, must reach 95 % of it.
# Usage: load.sh BIN [--short] [--seconds S]   (--short: 15 s per phase, as CI runs it)
set -euo pipefail
BIN=${1:?usage: load.sh path/to/dapriot-devices [--short] [--seconds S]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/lib.sh"
SECONDS_PER_PHASE=60
DEVICES_A=2000
DEVICES_B=10000
RATE=10000
while [ $# -gt 0 ]; do
    case $1 in
    --short) SECONDS_PER_PHASE=15 ;;
    --seconds) SECONDS_PER_PHASE=$2; shift ;;
    --devices-a) DEVICES_A=$2; shift ;;
    --devices-b) DEVICES_B=$2; shift ;;
    --rate) RATE=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
DIR=$(mktemp -d)
trap 'stop_broker; rm -rf "$DIR"' EXIT
PORT=$(free_port)
start_broker "$DIR" "$PORT"
FAIL=0

ramp() { echo $(( $1 / 2000 + 3 )); } # seconds to connect at 2000 connections/s, plus slack

echo "== phase 1: $DEVICES_A devices online for ${SECONDS_PER_PHASE}s (memory)"
"$BIN" --broker "127.0.0.1:$PORT" --type lightbulb --count "$DEVICES_A" --id-prefix la- \
    --telemetry-interval 5000 --duration $((SECONDS_PER_PHASE + $(ramp "$DEVICES_A"))) \
    --status-interval 5 --report json > "$DIR/a.json" 2> "$DIR/a.log" &
SIM=$!
# while they run: 20 commands, 2 of them re-sent, and one malformed, through the broker
wait_for "$DIR/a.log" "all $DEVICES_A devices online" $(( $(ramp "$DEVICES_A") + 10 )) || true
for i in $(seq 1 20); do
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "dapriot/lightbulb/la-$((i * 97))/cmd" \
        -m "{\"id\":\"load-$i\",\"cmd\":\"set\",\"power\":true,\"brightnessPct\":$((i * 5))}"
done
for i in 1 2; do
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "dapriot/lightbulb/la-$((i * 97))/cmd" \
        -m "{\"id\":\"load-$i\",\"cmd\":\"set\",\"power\":true,\"brightnessPct\":$((i * 5))}"
done
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "dapriot/lightbulb/la-5/cmd" -m '{"id":"load-x","cmd":"set","brightnessPct":"max"}'
wait "$SIM" || true
cat "$DIR/a.log" >&2
A=$(cat "$DIR/a.json")
echo "$A"
CMDS=$(json_field "$A" commandsReceived); DUPS=$(json_field "$A" commandsDuplicate); REJ=$(json_field "$A" commandsRejected)
echo "commands received ${CMDS:-?} (duplicates ${DUPS:-?}, rejected ${REJ:-?}); expected 23 (2, 1)"
if [ "${CMDS:-0}" != 23 ] || [ "${DUPS:-0}" != 2 ] || [ "${REJ:-0}" != 1 ]; then echo "FAIL: commands under load"; FAIL=1; fi
ONLINE=$(json_field "$A" online); MB=$(json_field "$A" rssMbPer1000Devices); RSS=$(json_field "$A" rssKb)
LOST=$(json_field "$A" connectionsLost); TEL=$(json_field "$A" telemetryPerS)
echo "devices online: ${ONLINE:-?}/$DEVICES_A, connections lost: ${LOST:-?}, telemetry ${TEL:-?} msg/s"
echo "memory: VmRSS ${RSS:-?} kB = ${MB:-?} MB per 1000 devices (limit 10)"
if [ "${ONLINE:-0}" != "$DEVICES_A" ] || [ "${LOST:-1}" != 0 ]; then echo "FAIL: not all devices stayed online"; FAIL=1; fi
if ! awk -v m="${MB:-99}" 'BEGIN { exit !(m < 10) }'; then echo "FAIL: memory over 10 MB per 1000 devices"; FAIL=1; fi

echo "== phase 2: $DEVICES_B devices, $RATE telemetry msg/s in total for ${SECONDS_PER_PHASE}s"
B=$("$BIN" --broker "127.0.0.1:$PORT" --type sousvide --count "$DEVICES_B" --id-prefix lb- \
      --rate "$RATE" --duration $((SECONDS_PER_PHASE + $(ramp "$DEVICES_B"))) \
      --status-interval 5 --report json 2> "$DIR/b.log") || true
cat "$DIR/b.log" >&2
echo "$B"
ONLINE=$(json_field "$B" online); RATE_GOT=$(json_field "$B" telemetryPerS); STEADY=$(json_field "$B" steadyS)
MB=$(json_field "$B" rssMbPer1000Devices); RSS=$(json_field "$B" rssKb); CPU=$(json_field "$B" cpuS)
ELAPSED=$(json_field "$B" elapsedS)
echo "devices online: ${ONLINE:-?}/$DEVICES_B; achieved ${RATE_GOT:-?} telemetry msg/s over ${STEADY:-?} s (target $RATE)"
echo "simulator CPU: ${CPU:-?} s in ${ELAPSED:-?} s"
echo "memory: VmRSS ${RSS:-?} kB = ${MB:-?} MB per 1000 devices"
if [ "${ONLINE:-0}" != "$DEVICES_B" ]; then echo "FAIL: not all devices online"; FAIL=1; fi
if ! awk -v r="${RATE_GOT:-0}" -v t="$RATE" 'BEGIN { exit !(r >= 0.95 * t) }'; then
    echo "FAIL: achieved rate below 95 % of $RATE"; FAIL=1
fi
if [ "$FAIL" = 0 ]; then echo "PASS load"; else echo "FAIL load"; fi
exit $FAIL
