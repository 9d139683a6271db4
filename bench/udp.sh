#!/usr/bin/env bash
# UDP vs TCP (issue 14): one broker from JAR in its own process on 127.0.0.1, then, against it and in this order,
#   bench pubsub --udp, bench latency --udp, bench game (UDP then TCP) with the broker's CPU read from /proc.
#
#   bench/udp.sh JAR [PLAYERS...]     e.g. bench/udp.sh cli/target/courier.jar 1000 250
#
# RATES (environment, e.g. RATES="60000 100000"): after the unpaced pubsub, one paced run per rate (bench pubsub
# --udp --rate R, 600,000 messages): UDP has no flow control, so the rate at which it loses nothing is its throughput.
#
# PLAYERS: one game run per count (default 1000). The broker runs as `java -Xmx1g -jar JAR broker --port P` and is
# stopped at the end; its log is kept (path printed). Wrap the whole script in flock on a shared machine.
set -uo pipefail

jar=${1:?usage: bench/udp.sh JAR [PLAYERS...]}
shift
players=("$@")
[ ${#players[@]} -eq 0 ] && players=(1000)
port=$(( 20000 + RANDOM % 20000 ))
log=$(mktemp /tmp/courier-udp-broker.XXXXXX.log)
java -Xmx1g -jar "$jar" broker --port "$port" >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.2; done
grep "listening on" "$log" || { echo "broker did not start; see $log" >&2; exit 1; }
echo "broker pid $broker, log $log"
server=127.0.0.1:$port
# Client log lines (e.g. a PING the overloaded generator answered late) are counted, not printed, one summary each.
run() {
    echo; echo "\$ courier $*"; echo "uptime: $(uptime)"
    out=$(mktemp); java -jar "$jar" "$@" >"$out" 2>&1; echo "exit code $?"
    grep -v "^[0-9:.]* *\(WARN\|INFO\|ERROR\) " "$out"
    grep "^[0-9:.]* *\(WARN\|ERROR\) " "$out" | sed 's/^[0-9:.]* *//' | sort | uniq -c | sort -rn | head -5 \
        | sed 's/^/  client log: /'
    rm -f "$out"
}
run bench pubsub --udp --server "$server" --broker-pid "$broker"
for rate in ${RATES:-}; do
    run bench pubsub --udp --rate "$rate" --messages 600000 --server "$server" --broker-pid "$broker"
done
run bench latency --udp --server "$server"
for n in "${players[@]}"; do
    run bench game --players "$n" --server "$server" --broker-pid "$broker"
done
echo; echo "broker log: $log"
