#!/usr/bin/env bash
# Brings up DaprIoT locally: installs what is missing, builds the services and the firmware, then runs
# dapr.yaml with dapr-local (which starts Redis, Mosquitto and, for the RabbitMQ set, RabbitMQ on loopback)
# and prints the URL to open. Ctrl-C stops everything.
#   ./run.sh [--dashboard-port PORT]    (default 8080)
set -euo pipefail
cd "$(dirname "$0")"
port=8080
[ "${1:-}" = "--dashboard-port" ] && port="${2:?--dashboard-port needs a port}"

deploy/local/prerequisites.sh
echo "Building the firmware simulator and the services..."
cmake -S firmware -B firmware/build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build firmware/build -j "$(nproc)" --target dapriot-devices >/dev/null
for project in deploy/local/LocalRuntime.csproj services/LightBulb/LightBulb.csproj services/SousVide/SousVide.csproj services/Auth/Auth.csproj \
    services/Statistics/Statistics.csproj services/DeviceManagement/DeviceManagement.csproj; do
  dotnet build "$project" -c Release -nologo -clp:ErrorsOnly -v quiet
done
# The auth service's signing key, kept across runs (existing logins stay valid); generated on the first run.
deploy/local/auth-signing-key.sh .dapr-local/secrets/auth.json
exec dotnet deploy/local/bin/Release/net10.0/dapr-local.dll -f . --dashboard-port "$port"
