#!/usr/bin/env bash
# Prepares the platform's Mosquitto: per-client credentials and ACLs through the dynamic-security plugin, no
# anonymous access. infra.sh and dapr-local (--infra auto) both call it before they start mosquitto, so the broker
# the tests use and the one ./run.sh uses are configured the same way.
#
#   platform-broker.sh secrets SECRETS_FILE PORT
#       Writes the platform's MQTT credentials to SECRETS_FILE (a flat JSON object a secretstores.local.file
#       component reads), keeping what is already there and generating what is missing:
#         mqtt-<user>-password   and   mqtt-<user>-url = tcp://<user>:<password>@127.0.0.1:PORT
#       for the users admin (operators and tests: full dynamic-security control, may publish and read anything)
#       and one per device service (its Dapr app id: lightbulb, sousvide).
#   platform-broker.sh config FOLDER PORT SECRETS_FILE
#       Does `secrets` (the URLs now name PORT), then writes FOLDER/mosquitto.conf and
#       FOLDER/dynamic-security.json. Devices provisioned
#       at run time (clients and roles the plugin saved in that file) are kept; the platform's own clients and
#       roles are rewritten from SECRETS_FILE each time, so their passwords always match it.
#
# Mosquitto 2.0's dynamic-security plugin does not substitute %c/%u in ACL topics, so a device's ACL cannot be
# one role shared by its type: each device gets a role of its own when it is provisioned (deploy/local/README.md).
set -euo pipefail

services=(lightbulb sousvide)

# PBKDF2-SHA512 with 101 iterations over the decoded salt, as the plugin stores passwords.
password_hash() { # password salt-base64
  openssl kdf -keylen 64 -kdfopt digest:SHA512 -kdfopt pass:"$1" \
    -kdfopt hexsalt:"$(printf %s "$2" | base64 -d | od -An -tx1 | tr -d ' \n')" -kdfopt iter:101 -binary PBKDF2 |
    base64 -w0
}

ensure_secrets() { # file port [urls: keep|replace]
  local file="$1" port="$2" urls="${3:-keep}" json user password
  mkdir -p "$(dirname "$file")"
  json='{}'
  [ -s "$file" ] && json="$(cat "$file")"
  for user in admin "${services[@]}"; do
    password="$(jq -r --arg k "mqtt-$user-password" '.[$k] // empty' <<<"$json")"
    # Hex, so the password needs no escaping inside the URL.
    [ -n "$password" ] || password="$(openssl rand -hex 16)"
    json="$(jq --arg u "$user" --arg p "$password" --arg url "tcp://$user:$password@127.0.0.1:$port" --arg urls "$urls" \
      '.["mqtt-\($u)-password"] = $p | .["mqtt-\($u)-url"] = (if $urls == "keep" then .["mqtt-\($u)-url"] // $url else $url end)' <<<"$json")"
  done
  (umask 077 && printf '%s\n' "$json" > "$file.tmp") && mv "$file.tmp" "$file"
}

# A dynamic-security client entry; the password is stored hashed.
client() { # username password rolename
  local salt; salt="$(openssl rand -base64 12)"
  jq -n --arg u "$1" --arg h "$(password_hash "$2" "$salt")" --arg s "$salt" --arg r "$3" \
    '{username: $u, textName: "DaprIoT platform", password: $h, salt: $s, iterations: 101, roles: [{rolename: $r}]}'
}

# What a device service may do: read its type's device reports (also through shared subscriptions, for competing
# replicas), send its type's commands, and provision its devices through the plugin's control topic. Subscribing
# to dapriot/<type>/+/+ is allowed so one binding can take every report, but the broker delivers it only the four
# report kinds: receiving is denied for everything else (the priority 1 allows are checked before the deny).
service_role() { # type
  jq -n --arg type "$1" --arg t "dapriot/$1" '{rolename: "service-\($type)", acls: (
    [("state", "telemetry", "ack", "presence") | {acltype: "publishClientReceive", topic: "\($t)/+/\(.)", priority: 1, allow: true}]
    + [{acltype: "publishClientReceive", topic: "$CONTROL/dynamic-security/v1/response", priority: 1, allow: true},
       {acltype: "publishClientReceive", topic: "#", allow: false},
       {acltype: "subscribePattern", topic: "\($t)/+/+", allow: true},
       {acltype: "subscribePattern", topic: "$share/+/\($t)/+/+", allow: true},
       {acltype: "subscribeLiteral", topic: "$CONTROL/dynamic-security/v1/response", allow: true},
       {acltype: "publishClientSend", topic: "\($t)/+/cmd", allow: true},
       {acltype: "publishClientSend", topic: "$CONTROL/dynamic-security/v1", allow: true}])}'
}

# The role `mosquitto_ctrl dynsec init` gives its admin, plus publishing anywhere (operators and tests send commands).
admin_role() {
  jq -n '{rolename: "admin", acls: (
    [("$CONTROL/dynamic-security/#", "$SYS/#", "#") | {acltype: "publishClientReceive", topic: ., allow: true},
                                                     {acltype: "subscribePattern", topic: ., allow: true}]
    + [{acltype: "publishClientSend", topic: "$CONTROL/dynamic-security/#", allow: true},
       {acltype: "publishClientSend", topic: "#", allow: true},
       {acltype: "unsubscribePattern", topic: "#", allow: true}])}'
}

config() { # folder port secrets-file
  local folder="$1" port="$2" secrets="$3" plugin dynsec clients roles user
  plugin=""
  for candidate in /usr/lib/*/mosquitto_dynamic_security.so /usr/lib/mosquitto_dynamic_security.so; do
    [ -f "$candidate" ] && plugin="$candidate" && break
  done
  [ -n "$plugin" ] || { echo "mosquitto_dynamic_security.so not found: install the Debian package mosquitto (2.0 or later)" >&2; exit 1; }
  mkdir -p "$folder"
  ensure_secrets "$secrets" "$port" replace

  clients="$(client admin "$(jq -r '."mqtt-admin-password"' "$secrets")" admin)"
  roles="$(admin_role)"
  for user in "${services[@]}"; do
    clients+="$(client "$user" "$(jq -r --arg k "mqtt-$user-password" '.[$k]' "$secrets")" "service-$user")"
    roles+="$(service_role "$user")"
  done
  dynsec="$folder/dynamic-security.json"
  # Mosquitto's defaults, written out: nothing may be published or subscribed to unless a role allows it.
  [ -s "$dynsec" ] || echo '{"defaultACLAccess": {"publishClientSend": false, "publishClientReceive": true,
    "subscribe": false, "unsubscribe": true}, "clients": [], "groups": [], "roles": []}' > "$dynsec"
  jq --slurpfile clients <(printf '%s' "$clients") --slurpfile roles <(printf '%s' "$roles") '
    ($clients | map(.username)) as $names | ($roles | map(.rolename)) as $rolenames
    | .clients = ([.clients[]? | select(.username as $n | $names | index($n) | not)] + $clients)
    | .roles = ([.roles[]? | select(.rolename as $n | $rolenames | index($n) | not)] + $roles)' "$dynsec" > "$dynsec.tmp"
  chmod 600 "$dynsec.tmp" && mv "$dynsec.tmp" "$dynsec"

  # `user`: started as root, mosquitto would switch to the mosquitto user, who cannot write this folder.
  # `set_tcp_nodelay`: without it Nagle's algorithm holds back small packets (a publish waiting on the
  # acknowledgement of the one before), which cuts a QoS 1 subscriber's rate several times over.
  # `max_connections -1`: no limit, for thousands of simulated devices.
  # `max_queued_messages 100000`: what the broker keeps for a client that is away (a device service restarting,
  # with its persistent session); beyond it the broker would drop reports it has already acknowledged to devices.
  # `max_inflight_messages 100`: unacknowledged QoS 1 messages to an MQTT 3.1.1 client at once, as daprd's binding
  # consumer is; each takes an actor turn before its acknowledgement, so the default of 20 caps a device service's
  # state reports below 1,000/s. dapr-local's consumer keeps to the same 100 (MqttBinding.MaxConcurrentDeliveries).
  cat > "$folder/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous false
max_connections -1
max_queued_messages 100000
max_inflight_messages 100
set_tcp_nodelay true
user $(id -un)
persistence true
persistence_location $folder/
pid_file $folder/mosquitto.pid
plugin $plugin
plugin_opt_config_file $dynsec
EOF
}

case "${1:-}" in
  secrets) [ $# -eq 3 ] || { echo "usage: $0 secrets SECRETS_FILE PORT" >&2; exit 2; }; ensure_secrets "$2" "$3" ;;
  config) [ $# -eq 4 ] || { echo "usage: $0 config FOLDER PORT SECRETS_FILE" >&2; exit 2; }; config "$2" "$3" "$4" ;;
  *) echo "usage: $0 secrets SECRETS_FILE PORT | config FOLDER PORT SECRETS_FILE" >&2; exit 2 ;;
esac
