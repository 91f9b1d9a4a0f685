#!/usr/bin/env bash
# Builds every service's image from deploy/kubernetes/images/Dockerfile, tagged dapriot/<app id>:TAG (default dev,
# the tag the dev overlay uses). Pass REGISTRY=registry.example.com/ to prefix the names, PUSH=1 to push them.
#   deploy/kubernetes/images/build.sh [TAG]
set -euo pipefail
cd "$(dirname "$0")/../../.."
tag="${1:-dev}"
engine="${CONTAINER_ENGINE:-docker}"
# app id -> project
declare -A projects=(
  [lightbulb]=services/LightBulb/LightBulb.csproj
  [sousvide]=services/SousVide/SousVide.csproj
  [auth]=services/Auth/Auth.csproj
  [statistics]=services/Statistics/Statistics.csproj
  [device-management]=services/DeviceManagement/DeviceManagement.csproj
  [frontend]=services/Frontend/Frontend.csproj
)
for app in "${!projects[@]}"; do
  project="${projects[$app]}"
  [ -f "$project" ] || { echo "skipping $app: $project does not exist" >&2; continue; }
  image="${REGISTRY:-}dapriot/$app:$tag"
  "$engine" build -f deploy/kubernetes/images/Dockerfile --build-arg PROJECT="$project" -t "$image" .
  [ "${PUSH:-0}" = 1 ] && "$engine" push "$image"
done
