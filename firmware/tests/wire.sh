#!/usr/bin/env bash
# End to end on the wire: bulbs and cookers against a real broker, commands from the platform's
# side (valid, re-sent, broken, a short cooking program), every message they publish checked
# against the contract by contract_check, and the expected acks and states seen.
set -euo pipefail
BIN=${1:?usage: wire.sh path/to/dapriot-devices path/to/contract_check}
CHECK=${2:?usage: wire.sh path/to/dapriot-devices path/to/contract_check}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DIR=$(mktemp -d)
trap 'stop_broker; kill $SUB $B $S 2>/dev/null || true; rm -rf "$DIR"' EXIT
SUB=; B=; S=
PORT=$(free_port)
start_broker "$DIR" "$PORT"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'dapriot/#' -v > "$DIR/wire.txt" &
SUB=$!
sleep 0.3
"$BIN" --broker "127.0.0.1:$PORT" --type lightbulb --count 20 --id-prefix wb- --telemetry-interval 500 \
    --duration 10 --status-interval 0 --report json > "$DIR/bulbs.json" 2> "$DIR/bulbs.log" &
B=$!
# 600x: a 60 s program after preheating (about 10 simulated minutes) takes about 1 s
"$BIN" --broker "127.0.0.1:$PORT" --type sousvide --count 20 --id-prefix wc- --telemetry-interval 500 \
    --sim-speed 600 --duration 10 --status-interval 0 --report json > "$DIR/cookers.json" 2> "$DIR/cookers.log" &
S=$!
wait_for "$DIR/bulbs.log" "all 20 devices online" 5
wait_for "$DIR/cookers.log" "all 20 devices online" 5

pub() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "$1" -m "$2"; }
pub dapriot/lightbulb/wb-1/cmd '{"id":"w-1","cmd":"set","power":true,"brightnessPct":42,"colorTempK":5000}'
pub dapriot/lightbulb/wb-1/cmd '{"id":"w-1","cmd":"set","power":true,"brightnessPct":42,"colorTempK":5000}'
pub dapriot/lightbulb/wb-2/cmd '{"id":"w-2","cmd":"set","brightnessPct":101}'
pub dapriot/lightbulb/wb-3/cmd 'not json at all'
pub dapriot/lightbulb/wb-4/cmd "{\"id\":\"w-4\",\"cmd\":\"set\",\"power\":true,\"pad\":\"$(printf '%0600d' 0)\"}"
pub dapriot/sousvide/wc-1/cmd '{"id":"w-5","cmd":"startProgram","targetTempC":56.5,"durationS":60}'
pub dapriot/sousvide/wc-2/cmd '{"id":"w-6","cmd":"toggle"}'
wait "$B" "$S"
B=; S=
sleep 0.5
kill "$SUB"; SUB=

"$CHECK" < "$DIR/wire.txt"
expect() { # description pattern [count]
    local n
    n=$(grep -c -- "$2" "$DIR/wire.txt" || true)
    if [ "$n" -ge "${3:-1}" ]; then echo "ok: $1"; else echo "FAIL: $1 (pattern $2 seen $n times)" >&2; exit 1; fi
}
expect "a command is applied and reported" 'wb-1/state {"boot":[0-9]*,"seq":[0-9]*,"power":true,"brightnessPct":42,"colorTempK":5000}'
expect "a re-sent command is acked twice" 'wb-1/ack {"boot":[0-9]*,"seq":[0-9]*,"id":"w-1","ok":true}' 2
[ "$(grep -c 'wb-1/state .*"brightnessPct":42' "$DIR/wire.txt")" = 1 ] || { echo "FAIL: applied twice" >&2; exit 1; }
echo "ok: ... and applied once"
expect "out of range is rejected" 'wb-2/ack {"boot":[0-9]*,"seq":[0-9]*,"id":"w-2","ok":false,"error":"out_of_range"'
expect "bad JSON is rejected without an id" 'wb-3/ack {"boot":[0-9]*,"seq":[0-9]*,"ok":false,"error":"bad_json"'
expect "an oversized command is rejected" 'wb-4/ack {"boot":[0-9]*,"seq":[0-9]*,"ok":false,"error":"too_large"'
expect "a bulb command on a cooker is unknown" 'wc-2/ack {"boot":[0-9]*,"seq":[0-9]*,"id":"w-6","ok":false,"error":"unknown_cmd"'
expect "a program preheats" 'wc-1/state .*"program":{"durationS":60,"elapsedS":0,"phase":"preheat"}'
expect "then cooks" 'wc-1/state .*"phase":"cooking"}'
expect "then finishes with the heater off" 'wc-1/state {"boot":[0-9]*,"seq":[0-9]*,"heater":false,"targetTempC":56.5,"waterTempC":5[5-7].[0-9],"program":{"durationS":60,"elapsedS":60,"phase":"done"}}'
expect "every device says goodbye" '/presence {"boot":[0-9]*,"seq":[0-9]*,"status":"offline"}' 40
echo "PASS wire"
