#!/usr/bin/env bash
# Creates the Secrets the dev overlay needs in namespace dapriot (or $NAMESPACE), generating every password and key
# on this machine; a Secret that already exists is left as it is, so running it again changes nothing. Needs kubectl
# with a cluster, and jq, openssl and Mosquitto's dynamic-security plugin (deploy/local/prerequisites.sh installs them).
#   deploy/kubernetes/overlays/dev/create-secrets.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
local_dir="$here/../../../local"
ns="${NAMESPACE:-dapriot}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
exists() { kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; }
create() { # name, then kubectl create secret generic arguments
  local name="$1"; shift
  if exists "$name"; then echo "Secret $name exists; kept"; else kubectl -n "$ns" create secret generic "$name" "$@" >/dev/null; echo "Secret $name created"; fi
}

# The sidecars' API token (dapr.io/api-token-secret on every Deployment).
create dapr-api-token --from-literal=token="$(openssl rand -hex 32)"

# The auth service's signing key, read through the auth-secrets store.
"$local_dir/auth-signing-key.sh" "$work/auth.json" >/dev/null
create auth-signing-key --from-literal=auth-signing-key="$(jq -r '."auth-signing-key"' "$work/auth.json")"

# The broker: its users and roles as platform-broker.sh writes them for the local broker, and the device services'
# URLs with their passwords, naming the Service mosquitto. The broker's seed and the URLs are made together, so
# they are only made while neither exists.
if exists mosquitto-dynsec || exists mqtt-lightbulb-url || exists mqtt-sousvide-url; then
  echo "The broker's Secrets (mosquitto-dynsec, mqtt-lightbulb-url, mqtt-sousvide-url) exist; kept"
else
  "$local_dir/platform-broker.sh" config "$work/broker" 1883 "$work/mqtt.json"
  for user in lightbulb sousvide; do
    create "mqtt-$user-url" --from-literal="mqtt-$user-url=tcp://$user:$(jq -r --arg k "mqtt-$user-password" '.[$k]' "$work/mqtt.json")@mosquitto:1883"
  done
  create mqtt-admin --from-literal=username=admin --from-literal=password="$(jq -r '."mqtt-admin-password"' "$work/mqtt.json")"
  create mosquitto-dynsec --from-file=dynamic-security.json="$work/broker/dynamic-security.json"
fi

# RabbitMQ's user, and the connection string the rabbitmq bus components read.
password="$(openssl rand -hex 16)"
create rabbitmq --from-literal=username=dapriot --from-literal=password="$password" \
  --from-literal=connectionString="amqp://dapriot:$password@rabbitmq:5672"
