#!/usr/bin/env bash
# Courier vs NATS vs Mosquitto on this machine, from one Java load generator, each broker in its own process on
# 127.0.0.1 with its default settings, one system at a time: through each system's own Java client (Courier's,
# jnats, Paho MQTT at QoS 0), then as raw frames (pre-encoded frames in large writes, counted on the subscriber side,
# no client library), with the load generator's and the broker's CPU time beside every throughput figure.
#
#   bench/compare.sh [--scale X] [--systems "courier nats mosquitto"] [--idle-connections N] [--idle-hold PT30S]
#
# Installs nats-server and mosquitto from the Debian packages when they are missing, rebuilds the jars from clean,
# runs the identical scenarios against each system, stops every process it started, and prints one table.
# Writes bench/results/compare-<stamp>.{tsv,md,html}: the raw figures, the table as Markdown, and a page with the
# table and the latency distributions plotted. --scale 0.05 gives a quick smoke run; COURIER_BENCH_SKIP_BUILD=1
# reuses the jars already built.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=1
systems="courier nats mosquitto"
idle_connections=10000
idle_hold=PT30S
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=$2; shift 2 ;;
        --systems) systems=$2; shift 2 ;;
        --idle-connections) idle_connections=$2; shift 2 ;;
        --idle-hold) idle_hold=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/debian-packages.sh
. bench/debian-packages.sh
case " $systems " in *" nats "*|*" mosquitto "*) install_missing nats-server mosquitto ;; esac

if [ "${COURIER_BENCH_SKIP_BUILD:-}" != 1 ]; then
    echo "building the broker and the load generator (clean, so no stale classes are measured)"
    mvn -B -q -DskipTests -pl cli,bench -am clean package
fi

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p bench/results
results=bench/results/compare-$stamp.tsv
: >"$results"
work=$(mktemp -d)
broker_pid=""
stop_broker() {
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=""
    fi
}
trap 'stop_broker; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

await_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$broker_pid" 2>/dev/null || { echo "the broker exited:"; cat "$work/broker.log"; return 1; }
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1 after 10 s:"; cat "$work/broker.log"; return 1
}

start_broker() {
    local system=$1 port=$2
    case "$system" in
        # Every load connection comes from 127.0.0.1: lift the per-address limit (10,000) the idle run would reach.
        courier) JAVA_OPTS="${JAVA_OPTS:-} -Dcourier.limits.max-connections-per-address=1000000" \
            ./courier broker --host 127.0.0.1 --port "$port" >"$work/broker.log" 2>&1 & ;;
        nats) nats-server -a 127.0.0.1 -p "$port" >"$work/broker.log" 2>&1 & ;;
        mosquitto)
            printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" >"$work/mosquitto.conf"
            mosquitto -c "$work/mosquitto.conf" >"$work/broker.log" 2>&1 & ;;
    esac
    broker_pid=$!
    await_port "$port"
}

version() {
    case "$1" in
        courier) echo "Courier $(git rev-parse --short HEAD 2>/dev/null || echo '?')" ;;
        nats) { nats-server --version 2>&1 || true; } | head -1 ;;
        mosquitto) { mosquitto -h 2>&1 || true; } | head -1 ;;
    esac
}

context="date:    $(date -u '+%Y-%m-%d %H:%M UTC')
machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
java:    $(java -version 2>&1 | head -1)
scale:   $scale"
for system in $systems; do
    context="$context
$system: $(version "$system")"
done
echo "$context"

for system in $systems; do
    port=$(free_port)
    echo
    echo "=== $system on 127.0.0.1:$port"
    start_broker "$system" "$port"
    java -jar bench/target/courier-bench.jar run --system "$system" --server "127.0.0.1:$port" \
        --results "$results" --broker-pid "$broker_pid" --scale "$scale" \
        --idle-connections "$idle_connections" --idle-hold "$idle_hold" || echo "$system: the run failed (see above)"
    stop_broker
done

echo
java -jar bench/target/courier-bench.jar report "$results" --markdown "bench/results/compare-$stamp.md" \
    --html "bench/results/compare-$stamp.html" --context "$context"
echo
echo "wrote $results, bench/results/compare-$stamp.md and bench/results/compare-$stamp.html"
