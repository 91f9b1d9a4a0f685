#!/usr/bin/env bash
# Brings up DaprIoT locally: installs what is missing, builds the services and the firmware, then runs
# dapr.yaml with dapr-local (which starts Redis, Mosquitto and, for the RabbitMQ set, RabbitMQ on loopback)
# and prints the URL to open (the frontend, http://127.0.0.1:5100). Ctrl-C stops everything.
#   ./run.sh [--dashboard-port PORT]    (default 8080)
set -euo pipefail
cd "$(dirname "$0")"
port=8080
[ "${1:-}" = "--dashboard-port" ] && port="${2:?--dashboard-port needs a port}"

# The platform's ports are fixed (the frontend on 5100): a run still up elsewhere would answer in place of this one,
# which could not start, and this one's build would replace the files its apps run from.
for taken in 5100 "$port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$taken") 2>/dev/null; then
    echo "run.sh: 127.0.0.1:$taken is already in use (is DaprIoT running already?); stop that first, e.g. with Ctrl-C where it runs" >&2
    exit 1
  fi
done

deploy/local/prerequisites.sh
echo "Building the firmware simulator and the services (the frontend's build runs npm ci and the web app's build)..."
cmake -S firmware -B firmware/build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build firmware/build -j "$(nproc)" --target dapriot-devices >/dev/null
for project in deploy/local/LocalRuntime.csproj services/LightBulb/LightBulb.csproj services/SousVide/SousVide.csproj services/Auth/Auth.csproj \
    services/Statistics/Statistics.csproj services/DeviceManagement/DeviceManagement.csproj services/Frontend/Frontend.csproj; do
  dotnet build "$project" -c Release -nologo -clp:ErrorsOnly -v quiet
done
# The auth service's signing key, kept across runs (existing logins stay valid); generated on the first run.
deploy/local/auth-signing-key.sh .dapr-local/secrets/auth.json
# Says where to go once the frontend answers (the runtime, which this shell becomes, streams every app's log meanwhile).
(
  for _ in $(seq 1 600); do
    kill -0 $$ 2>/dev/null || exit 0
    if curl -sf -o /dev/null http://127.0.0.1:5100/readyz; then
      echo
      echo "DaprIoT is up: open http://127.0.0.1:5100 and sign in as ${DEMO_EMAIL:-demo@dapriot.local} / ${DEMO_PASSWORD:-dapriot-demo}"
      echo "(the demo user's devices appear as they are provisioned; dapr-local's dashboard: http://127.0.0.1:$port)"
      echo
      exit 0
    fi
    sleep 1
  done
) &
exec dotnet deploy/local/bin/Release/net10.0/dapr-local.dll -f . --dashboard-port "$port"
