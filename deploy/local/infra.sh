#!/usr/bin/env bash
# Starts (or stops) Redis, Mosquitto and RabbitMQ on loopback for the tests, the way `dapr init` provides Redis:
# Redis and Mosquitto keep their files under .dapr-local/infra. Mosquitto is the platform's broker, set up by
# platform-broker.sh as dapr-local sets it up (per-client credentials and ACLs, no anonymous access). A server
# already listening on its port is used as it is, and `stop` stops only what `start` started.
#   deploy/local/infra.sh start|stop
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="$root/.dapr-local/infra"
secrets="$root/.dapr-local/secrets/mqtt.json"
mkdir -p "$data"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # port name seconds
  for _ in $(seq 1 $(($3 * 10))); do listening "$1" && return 0; sleep 0.1; done
  echo "$2 did not start listening on 127.0.0.1:$1 within $3 s; see $data/$2.log" >&2; return 1
}

start() {
  if ! listening 6379; then
    redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$data" --pidfile "$data/redis.pid" --logfile "$data/redis.log"
    wait_for 6379 redis 10
  fi
  # The platform's broker: dynamic-security plugin, no anonymous clients; its credentials (admin, one user per
  # device service) are in .dapr-local/secrets/mqtt.json, written even when another broker already listens so
  # that clients find the file (a broker without authentication ignores the credentials).
  if ! listening 1883; then
    "$here/platform-broker.sh" config "$data" 1883 "$secrets"
    mosquitto -c "$data/mosquitto.conf" -d
    wait_for 1883 mosquitto 10
  else
    "$here/platform-broker.sh" secrets "$secrets" 1883
    [ -f "$data/mosquitto.pid" ] && kill -0 "$(cat "$data/mosquitto.pid")" 2>/dev/null ||
      echo "infra: a broker this script did not start listens on 127.0.0.1:1883; it is used as it is, and the platform's MQTT users and roles ($secrets) may be missing from it" >&2
  fi
  if ! listening 5672; then
    # RabbitMQ runs as Debian sets it up (node rabbit@<host>, data in /var/lib/rabbitmq, run as the rabbitmq
    # user), so rabbitmqctl, which the tests use to read queue depths, reaches it as usual.
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      rabbitmq-server -detached > "$data/rabbitmq.log" 2>&1
    touch "$data/rabbitmq.started"
    wait_for 5672 rabbitmq 90
  fi
  echo "infra: redis 127.0.0.1:6379, mosquitto 127.0.0.1:1883 (credentials in $secrets), rabbitmq 127.0.0.1:5672"
}

stop() {
  [ -f "$data/redis.pid" ] && kill "$(cat "$data/redis.pid")" 2>/dev/null || true
  [ -f "$data/mosquitto.pid" ] && kill "$(cat "$data/mosquitto.pid")" 2>/dev/null || true
  [ -f "$data/rabbitmq.started" ] && rabbitmqctl stop >/dev/null 2>&1 || true
  rm -f "$data"/*.pid "$data/rabbitmq.started"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
