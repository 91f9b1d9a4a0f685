#!/usr/bin/env bash
# Generates per-device MQTT credentials for a fleet of simulated devices.
#   make-credentials.sh PREFIX FIRST COUNT OUTDIR
# writes
#   OUTDIR/devices.txt   "<deviceId> <password>" lines, for dapriot-devices --credentials
#   OUTDIR/platform.txt  "dapriot-platform <password>", the platform's own login
#   OUTDIR/passwd        the same logins hashed for mosquitto's password_file (mosquitto_passwd -U)
#   OUTDIR/acl           the ACL (copy of mosquitto-acl.conf) for mosquitto's acl_file
# Passwords are random (16 characters from /dev/urandom); keep OUTDIR out of version control.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: $0 PREFIX FIRST COUNT OUTDIR   (devices PREFIX<FIRST> .. PREFIX<FIRST+COUNT-1>)" >&2
    exit 2
fi
PREFIX=$1 FIRST=$2 COUNT=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
umask 077
secret() { tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 16; }
: > "$OUT/devices.txt"
for i in $(seq "$FIRST" $((FIRST + COUNT - 1))); do
    echo "$PREFIX$i $(secret)" >> "$OUT/devices.txt"
done
echo "dapriot-platform $(secret)" > "$OUT/platform.txt"
# mosquitto_passwd -U hashes a plain "user:password" file in place
sed 's/ /:/' "$OUT/devices.txt" "$OUT/platform.txt" > "$OUT/passwd"
mosquitto_passwd -U "$OUT/passwd"
cp "$HERE/mosquitto-acl.conf" "$OUT/acl"
echo "wrote $COUNT device logins and the platform login to $OUT"
