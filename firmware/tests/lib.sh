# Helpers for the broker-backed tests. Every broker listens on 127.0.0.1 only, on a free port,
# with its files in a temporary directory that the caller removes.

# A TCP port that no socket uses (in any state, IPv4 or IPv6), below the kernel's ephemeral
# range so that no outgoing connection can take it meanwhile.
free_port() {
    local low used p
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$low" -gt 12000 ] || low=60000
    used=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR > 1 { split($2, a, ":"); print a[2] }' | sort -u)
    for _ in $(seq 1 500); do
        p=$((10000 + RANDOM % (low - 10000)))
        if ! echo "$used" | grep -qx "$(printf '%04X' "$p")"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# start_broker DIR PORT [extra config lines...]: starts mosquitto, sets BROKER_PID.
start_broker() {
    local dir=$1 port=$2
    shift 2
    {
        echo "listener $port 127.0.0.1"
        echo "max_connections -1"
        echo "persistence false"
        echo "log_dest stderr"
        echo "log_type error"
        echo "log_type warning"
        echo "user $(id -un)" # run as the caller: started as root it would switch to "mosquitto"
        if [ $# -eq 0 ]; then echo "allow_anonymous true"; fi
        for line in "$@"; do echo "$line"; done
    } > "$dir/mosquitto-$port.conf"
    # as many descriptors as allowed: a load test connects thousands of clients
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec mosquitto -c "$dir/mosquitto-$port.conf") 2>>"$dir/mosquitto.log" &
    BROKER_PID=$!
    for _ in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "mosquitto did not start on port $port" >&2
    cat "$dir/mosquitto.log" >&2
    return 1
}

stop_broker() {
    if [ -n "${BROKER_PID:-}" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=
    fi
}

# wait_for FILE PATTERN SECONDS [MIN_COUNT]: waits until PATTERN occurs MIN_COUNT times in FILE.
wait_for() {
    local file=$1 pattern=$2 secs=$3 min=${4:-1}
    local tries=$((secs * 10))
    for _ in $(seq 1 "$tries"); do
        local n
        n=$(grep -c -- "$pattern" "$file" 2>/dev/null || true)
        if [ "${n:-0}" -ge "$min" ]; then return 0; fi
        sleep 0.1
    done
    echo "timed out after ${secs}s waiting for '$pattern' in $file" >&2
    return 1
}

# json_field JSON NAME: a number or string field of a flat JSON object.
json_field() {
    echo "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2 | tr -d '"'
}
