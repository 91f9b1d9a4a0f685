#!/usr/bin/env bash
# Devices started without a broker keep retrying with backoff and say so; they come online when a
# broker appears, and every one reconnects by itself after the broker goes away and comes back.
# The last will marks a device that vanishes without a goodbye offline.
set -euo pipefail
BIN=${1:?usage: reconnect.sh path/to/dapriot-devices}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DIR=$(mktemp -d)
trap 'stop_broker; kill $SIM $SUB 2>/dev/null || true; rm -rf "$DIR"' EXIT
SIM=; SUB=
PORT=$(free_port)
N=200

"$BIN" --broker "127.0.0.1:$PORT" --type lightbulb --count $N --id-prefix rc- --telemetry-interval 1000 \
    --backoff-min 200 --backoff-max 1000 --duration 30 --status-interval 1 --report json \
    > "$DIR/report.json" 2> "$DIR/sim.log" &
SIM=$!

wait_for "$DIR/sim.log" "retrying with backoff" 5
sleep 1.5
if grep -q "all $N devices online" "$DIR/sim.log"; then echo "online without a broker?" >&2; exit 1; fi
echo "no broker: devices say they retry"

start_broker "$DIR" "$PORT"
wait_for "$DIR/sim.log" "all $N devices online" 10
echo "broker up: all $N online"

stop_broker
wait_for "$DIR/sim.log" "retrying with backoff" 5 2
sleep 2
echo "broker gone: devices retrying"

start_broker "$DIR" "$PORT"
wait_for "$DIR/sim.log" "all $N devices online" 10 2
echo "broker back: all $N online again"

# the devices are online and reporting: telemetry reaches a subscriber
timeout 5 mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'dapriot/lightbulb/+/telemetry' -C 50 > "$DIR/telemetry.txt"
echo "telemetry flows: $(wc -l < "$DIR/telemetry.txt") messages seen"

# a device that vanishes without a goodbye is marked offline by its last will (seq 0)
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'dapriot/lightbulb/rc-7/presence' -v > "$DIR/presence.txt" &
SUB=$!
sleep 0.5
kill -9 "$SIM"
wait "$SIM" 2>/dev/null || true
SIM=
wait_for "$DIR/presence.txt" '"seq":0,"status":"offline"' 10
echo "last will delivered: $(tail -1 "$DIR/presence.txt")"
kill "$SUB" 2>/dev/null || true
SUB=

# a clean run reports its reconnects: start again, drop the broker once, end normally
"$BIN" --broker "127.0.0.1:$PORT" --type sousvide --count 50 --id-prefix rc2- --telemetry-interval 500 \
    --backoff-min 200 --backoff-max 1000 --duration 8 --status-interval 1 --report json \
    > "$DIR/report.json" 2> "$DIR/sim2.log" &
SIM=$!
wait_for "$DIR/sim2.log" "all 50 devices online" 10
stop_broker
sleep 1
start_broker "$DIR" "$PORT"
wait "$SIM"
SIM=
# a clean exit leaves a retained "offline" with a real seq
RETAINED=$(timeout 5 mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'dapriot/sousvide/rc2-1/presence' -C 1 -W 3 || true)
echo "retained presence after a clean exit: $RETAINED"
case $RETAINED in
*'"status":"offline"'*) ;;
*) echo "FAIL: expected a retained offline presence" >&2; exit 1 ;;
esac
case $RETAINED in
*'"seq":0,'*) echo "FAIL: the clean goodbye should not be the last will" >&2; exit 1 ;;
esac
REPORT=$(cat "$DIR/report.json")
echo "report: $REPORT"
[ "$(json_field "$REPORT" online)" = 50 ] || { echo "not all online at the end" >&2; exit 1; }
[ "$(json_field "$REPORT" reconnects)" -ge 50 ] || { echo "expected >= 50 reconnects" >&2; exit 1; }
echo "PASS reconnect"
