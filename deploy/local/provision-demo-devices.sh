#!/usr/bin/env bash
# Gives the demo's simulated devices their broker credentials, then runs the simulator with them. A stand-in, until
# the device services provision devices themselves: it does what they will do, publishing one dynamic-security
# batch per device type (deploy/local/README.md, "Provisioning a device") through the app's MQTT output binding,
# which logs in as that type's service user. Every start gives every device a new password.
#   provision-demo-devices.sh TYPE COUNT CREDENTIALS_FILE -- SIMULATOR [ARGS...]
# Provisions <prefix>1 .. <prefix>COUNT (bulb- for lightbulb, cooker- for sousvide, the simulator's default ids)
# through the output binding <TYPE>-provisioning of the app's sidecar (DAPR_HTTP_PORT), writes their
# "<deviceId> <password>" lines to CREDENTIALS_FILE (for the simulator's --credentials) and runs SIMULATOR.
set -euo pipefail
[ $# -ge 5 ] && [ "$4" = "--" ] || { echo "usage: $0 TYPE COUNT CREDENTIALS_FILE -- SIMULATOR [ARGS...]" >&2; exit 2; }
type="$1" count="$2" credentials="$3"
shift 4
case "$type" in
  lightbulb) prefix=bulb- ;;
  sousvide) prefix=cooker- ;;
  *) echo "$0: unknown device type '$type' (lightbulb, sousvide)" >&2; exit 2 ;;
esac
sidecar="http://127.0.0.1:${DAPR_HTTP_PORT:?is set by dapr-local or daprd for the app}"

# Each device: delete whatever was provisioned before under its id ("not found" the first time is fine), then
# create its own role (its topics only) and its client (client id = username = device id).
commands='[]'
mkdir -p "$(dirname "$credentials")"
: > "$credentials.tmp"
chmod 600 "$credentials.tmp"
for n in $(seq 1 "$count"); do
  id="$prefix$n"
  password="$(openssl rand -hex 16)"
  echo "$id $password" >> "$credentials.tmp"
  commands="$(jq --arg type "$type" --arg id "$id" --arg password "$password" '. + [
    {command: "deleteClient", username: $id},
    {command: "deleteRole", rolename: "device-\($id)"},
    {command: "createRole", rolename: "device-\($id)", acls: (
      [("state", "telemetry", "ack", "presence") | {acltype: "publishClientSend", topic: "dapriot/\($type)/\($id)/\(.)", allow: true}]
      + [{acltype: "subscribeLiteral", topic: "dapriot/\($type)/\($id)/cmd", allow: true}])},
    {command: "createClient", username: $id, clientid: $id, password: $password, roles: [{rolename: "device-\($id)"}]}]' <<<"$commands")"
done
mv "$credentials.tmp" "$credentials"

# The sidecar opens the binding (and dapr-local starts the broker) before it answers healthz/outbound.
for _ in $(seq 1 300); do
  curl -fs -o /dev/null "$sidecar/v1.0/healthz/outbound" && break
  sleep 0.1
done
jq -n --argjson commands "$commands" '{operation: "create", data: {commands: $commands}}' |
  curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @- "$sidecar/v1.0/bindings/$type-provisioning"
echo "provisioned $count $type devices (${prefix}1..$prefix$count) through the $type service's broker user"
exec "$@"
