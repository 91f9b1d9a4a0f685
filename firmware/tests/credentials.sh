#!/usr/bin/env bash
# Devices log in with their own credentials; the ACL confines each to its own topics; a wrong
# password is refused and the simulator says so.
set -euo pipefail
BIN=${1:?usage: credentials.sh path/to/dapriot-devices}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
DIR=$(mktemp -d)
trap 'stop_broker; kill $SIM $SUB 2>/dev/null || true; rm -rf "$DIR"' EXIT
SIM=; SUB=
PORT=$(free_port)
"$HERE/../ports/host/make-credentials.sh" cr- 1 3 "$DIR/creds" > /dev/null
start_broker "$DIR" "$PORT" "allow_anonymous false" "password_file $DIR/creds/passwd" "acl_file $DIR/creds/acl"
PLATFORM_PW=$(cut -d' ' -f2 "$DIR/creds/platform.txt")

mosquitto_sub -h 127.0.0.1 -p "$PORT" -u dapriot-platform -P "$PLATFORM_PW" -t 'dapriot/#' -v > "$DIR/seen.txt" &
SUB=$!
sleep 0.3
"$BIN" --broker "127.0.0.1:$PORT" --type lightbulb --count 3 --id-prefix cr- --credentials "$DIR/creds/devices.txt" \
    --telemetry-interval 500 --duration 6 --status-interval 1 --report json > "$DIR/report.json" 2> "$DIR/sim.log" &
SIM=$!
wait_for "$DIR/sim.log" "all 3 devices online" 5
echo "3 devices online with their own logins"

# the platform commands cr-2; cr-1's login cannot command cr-2 nor report for it
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u dapriot-platform -P "$PLATFORM_PW" -q 1 \
    -t dapriot/lightbulb/cr-2/cmd -m '{"id":"acl-1","cmd":"set","power":true}'
CR1_PW=$(grep '^cr-1 ' "$DIR/creds/devices.txt" | cut -d' ' -f2)
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u cr-1 -P "$CR1_PW" -q 1 \
    -t dapriot/lightbulb/cr-2/cmd -m '{"id":"acl-evil","cmd":"set","power":false}' || true
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u cr-1 -P "$CR1_PW" -q 1 \
    -t dapriot/lightbulb/cr-2/state -m '{"forged":true}' || true
wait_for "$DIR/seen.txt" 'cr-2/ack {"boot":[0-9]*,"seq":[0-9]*,"id":"acl-1","ok":true}' 5
wait "$SIM"; SIM=
sleep 0.3
if grep -q 'acl-evil\|forged' "$DIR/seen.txt"; then echo "FAIL: the ACL let cr-1 use cr-2's topics" >&2; exit 1; fi
echo "ACL: the platform commanded cr-2; cr-1 could not touch cr-2's topics"
[ "$(json_field "$(cat "$DIR/report.json")" commandsReceived)" = 1 ] || { echo "FAIL: expected exactly 1 command" >&2; exit 1; }

# a wrong password is refused, and the simulator says why and keeps retrying
"$BIN" --broker "127.0.0.1:$PORT" --type lightbulb --count 1 --id-prefix cr- --username '{id}' --password wrong \
    --backoff-min 200 --backoff-max 400 --duration 2 --status-interval 0 > /dev/null 2> "$DIR/bad.log"
grep -q "refused the connection: Connection Refused: not authorised" "$DIR/bad.log" || { cat "$DIR/bad.log" >&2; exit 1; }
[ "$(grep -c 'retrying in' "$DIR/bad.log")" -ge 2 ] || { echo "FAIL: no retries" >&2; exit 1; }
echo "wrong password: refused, retried $(grep -c 'retrying in' "$DIR/bad.log") times"
echo "PASS credentials"
