#!/usr/bin/env bash
# The core benchmark of docs/performance.md: a broker and the load generator in separate JVMs on 127.0.0.1.
#   bench/run-core.sh [ROUNDS]     (default 3 rounds of each scenario)
# Rebuilds the CLI jar from clean (a stale jar would measure old code), starts a broker on a free port, runs 1->1 and 1->10 pub/sub (1,000,000 messages of
# 128 B) and request/reply ping-pong, then stops the broker. Prints the machine, the date and every result.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
jar=cli/target/courier.jar
mvn -B -q -DskipTests -pl cli -am clean package

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
java -jar "$jar" broker --port "$port" >"$log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 50); do grep -q "listening" "$log" && break; sleep 0.2; done
grep -q "listening" "$log" || { echo "broker did not start:"; cat "$log"; exit 1; }

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "java:    $(java -version 2>&1 | head -1)"
echo
server="127.0.0.1:$port"
for r in $(seq 1 "$rounds"); do
    echo "--- round $r"
    java -jar "$jar" bench pubsub --server "$server" --messages 1000000 --size 128 --publishers 1 --subscribers 1 || true
    java -jar "$jar" bench pubsub --server "$server" --messages 1000000 --size 128 --publishers 1 --subscribers 10 || true
    java -jar "$jar" bench latency --server "$server" --requests 100000 --warmup 20000 --size 128 || true
done
