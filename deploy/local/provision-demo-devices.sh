#!/usr/bin/env bash
# Gives the demo's simulated devices their broker credentials the way any device gets them, then runs the
# simulator with them: each device is provisioned by its actor (Provision, through the app's own sidecar, as the
# device-management service does for a user's device), which creates its login and role in the broker and returns
# the password once. The demo user (deploy/local/demo-user.sh: signed up through auth on the first run) owns them
# all, so they are in that user's device list in the browser; DEMO_OWNER names another owner (a user id).
# Provisioning again on every start is harmless: it replaces the password and keeps the twin.
#   provision-demo-devices.sh TYPE COUNT CREDENTIALS_FILE -- SIMULATOR [ARGS...]
# Provisions <prefix>1 .. <prefix>COUNT (bulb- for lightbulb, cooker- for sousvide, the simulator's default ids),
# writes their "<deviceId> <password>" lines to CREDENTIALS_FILE (for the simulator's --credentials) and runs SIMULATOR.
set -euo pipefail
[ $# -ge 5 ] && [ "$4" = "--" ] || { echo "usage: $0 TYPE COUNT CREDENTIALS_FILE -- SIMULATOR [ARGS...]" >&2; exit 2; }
type="$1" count="$2" credentials="$3"
shift 4
case "$type" in
  lightbulb) prefix=bulb- actor=LightBulb name="Light" ;;
  sousvide) prefix=cooker- actor=SousVide name="Cooker" ;;
  *) echo "$0: unknown device type '$type' (lightbulb, sousvide)" >&2; exit 2 ;;
esac
sidecar="http://127.0.0.1:${DAPR_HTTP_PORT:?is set by dapr-local or daprd for the app}"
owner="${DEMO_OWNER:-$("$(dirname "$0")/demo-user.sh")}"

mkdir -p "$(dirname "$credentials")"
: > "$credentials.tmp"
chmod 600 "$credentials.tmp"
for n in $(seq 1 "$count"); do
  id="$prefix$n"
  # The device service may still be starting: its actor type is placed once it is up.
  for attempt in $(seq 1 120); do
    answer="$(curl -s -X PUT -H 'Content-Type: application/json' \
      --data "{\"owner\":\"$owner\",\"name\":\"$name $n\"}" "$sidecar/v1.0/actors/$actor/$id/method/Provision" || true)"
    password="$(jq -r 'select(.ok == true) | .password' <<<"$answer" 2>/dev/null || true)"
    [ -n "$password" ] && break
    # The demo's ids belong to the demo: one another owner holds (the state of an earlier run under another demo
    # user) is removed first, deleting that twin and its broker login, then provisioned afresh.
    if jq -e '.errors[]? | select(.field == "deviceId" and (.message | endswith("another owner")))' <<<"$answer" >/dev/null 2>&1; then
      echo "$0: $id belonged to another owner; removing it for the demo user"
      curl -s -X PUT "$sidecar/v1.0/actors/$actor/$id/method/Remove" >/dev/null || true
      continue
    fi
    [ "$attempt" -eq 120 ] && { echo "$0: could not provision $id: $answer" >&2; exit 1; }
    sleep 0.5
  done
  echo "$id $password" >> "$credentials.tmp"
done
mv "$credentials.tmp" "$credentials"
echo "provisioned $count $type devices (${prefix}1..$prefix$count) for $owner through the $actor actors"
exec "$@"
