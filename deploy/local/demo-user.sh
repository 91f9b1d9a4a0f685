#!/usr/bin/env bash
# Prints the user id of the demo user, signing the user up through the auth service on the first run:
# the owner run.sh gives the demo devices, and the login it prints. Called from an app's command, so it reaches
# auth through that app's own sidecar (Dapr service invocation), as any app would.
#   DEMO_EMAIL (default demo@dapriot.local), DEMO_PASSWORD (default dapriot-demo) choose the login.
set -euo pipefail
sidecar="http://127.0.0.1:${DAPR_HTTP_PORT:?is set by dapr-local or daprd for the app}"
auth="$sidecar/v1.0/invoke/auth/method/api/auth"
email="${DEMO_EMAIL:-demo@dapriot.local}"
password="${DEMO_PASSWORD:-dapriot-demo}"
login="$(jq -cn --arg email "$email" --arg password "$password" '{email: $email, password: $password}')"

answer="$(mktemp)"
# POSTs $2 to auth's route $1; the body goes to $answer, the HTTP status to stdout (000 when nothing answered).
post() { curl -s -o "$answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data "$2" "$auth/$1"; }
trap 'rm -f "$answer"' EXIT
# auth may still be starting: its sidecar answers once the app listens.
for attempt in $(seq 1 240); do
  status="$(post signup "$(jq -c '. + {displayName: "Demo"}' <<<"$login")" || true)"
  case "$status" in
    201) jq -r .userId "$answer"; exit 0 ;;
    409) # Signed up on an earlier run (or by the other demo app a moment ago): log in and ask who that is.
      case "$(post login "$login" || true)" in
        200) token="$(jq -r .accessToken "$answer")"
             curl -sf -H "Authorization: Bearer $token" "$auth/me" | jq -r .userId
             exit 0 ;;
        401) echo "$0: $email is registered with another password (set DEMO_PASSWORD)" >&2
             exit 1 ;;
      esac ;;  # limited (429) or not answering: try again
  esac
  sleep 0.5
done
echo "$0: auth did not answer a sign-up through $sidecar: last status ${status:-none} $(cat "$answer")" >&2
exit 1
