#!/usr/bin/env bash
# Installs the Debian packages DaprIoT needs to build, run and test locally; skips what is already there.
# Needs root (or sudo). The .NET SDK itself is expected on PATH (see global.json for the version).
set -euo pipefail

packages=(
  redis-server mosquitto mosquitto-clients libmosquitto1 libmosquitto-dev libcjson-dev rabbitmq-server jq curl openssl
  build-essential cmake clang libclang-rt-14-dev gcc-xtensa-lx106 picolibc-xtensa-lx106-elf chromium
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Node.js and npm: the frontend's web app is built with them (services/Frontend/web; Vite needs Node 20.19 or newer),
# and tests/Deployment.Tests runs the Kubernetes schemas on them.
if ! command -v npm >/dev/null || ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "Installing: nodejs npm"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
command -v dotnet >/dev/null || { echo "The .NET SDK 10 is required: https://dotnet.microsoft.com/download" >&2; exit 1; }

# --- deploy/kubernetes checks (tests/Deployment.Tests) -------------------------------------------------------------
# The Kubernetes manifests are validated without a cluster: kubectl renders the overlays (kubectl kustomize), and
# Node.js runs the kubernetes-models schemas (tests/Deployment.Tests/schema-validator, pinned by its package-lock.json).
# kubectl is not among Debian's packages (its kubernetes-client is too old for the manifests' kustomize fields).
command -v kubectl >/dev/null || echo "kubectl is not on PATH: tests/Deployment.Tests need it (kubectl 1.27 or later)" >&2
schema_validator="$(cd "$(dirname "$0")/../.." && pwd)/tests/Deployment.Tests/schema-validator"
if [ ! -d "$schema_validator/node_modules/kubernetes-models" ] ||
   [ "$schema_validator/package-lock.json" -nt "$schema_validator/node_modules/.package-lock.json" ]; then
  echo "Installing the Kubernetes schemas for tests/Deployment.Tests (npm ci)"
  npm ci --prefix "$schema_validator" --no-audit --no-fund --loglevel=error >/dev/null
fi
