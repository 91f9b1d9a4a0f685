#!/usr/bin/env bash
# Writes the auth service's signing key — a new EC P-256 private key, as the secrets file of a
# secretstores.local.file store ({"auth-signing-key": "<PEM>"}) — unless FILE exists already: existing logins keep
# working across restarts. The file is readable by its owner only and never committed.
#   deploy/local/auth-signing-key.sh FILE
set -euo pipefail
file="${1:?usage: auth-signing-key.sh FILE}"
[ -s "$file" ] && exit 0
mkdir -p "$(dirname "$file")"
umask 077
pem="$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)"
tmp="$file.tmp.$$"
# JSON string: newlines as \n (a PEM has no quotes or backslashes).
printf '{"auth-signing-key": "%s"}\n' "$(printf '%s' "$pem" | awk '{printf "%s\\n", $0}')" > "$tmp"
mv "$tmp" "$file"
echo "Generated the auth signing key in $file"
