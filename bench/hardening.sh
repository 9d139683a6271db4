#!/usr/bin/env bash
# Failure scenarios of the broker core, each against a broker in its own process on 127.0.0.1.
#
#   bench/hardening.sh JAR SCENARIO [OPTIONS]
#
#   JAR       the jar that runs the broker: `java -Xmx256m -jar JAR broker --port P` (e.g. cli/target/courier.jar,
#             or /tmp/courier-before.jar built from an older commit)
#   SCENARIO  pin [--control]             a never-reading subscriber; 61 KB writes = 1 KiB PUB for it + 60,000 B PUB
#             partial [--after-connect]   300 connections hold an unfinished 1 MiB PUB; a handshake probe every 1 s
#             pauses                      publish() durations (Java client) while 10 subscribers never read
#             slowreader [--no-slow]      40 MB/s offered to a fast and a 9 MB/s subscriber
#             shutdown                    SIGTERM while a 2 MB/s reader holds a backlog
#             churn [--unsubscribe]       100,000 SUBs on 10 connections vs a PING bystander and a steady publisher
#   OPTIONS   passed to the scenario; `java -jar bench/target/courier-bench.jar hardening SCENARIO --help` lists them
#
# The load generator is bench/target/courier-bench.jar next to this script (build it with
# `mvn -B -q -o -DskipTests -pl bench -am package`); set BENCH_JAR to use another one. The broker's output goes to a
# log file that is kept (its path is printed). BROKER_JAVA_OPTS adds JVM flags to the broker's command line, for a
# diagnosis run only (e.g. BROKER_JAVA_OPTS=-Xlog:gc to see the heap fill); figures are taken without it. Every
# scenario has hard time limits (about 90 s); the broker is always stopped at the end. Output: lines for people,
# `[SCENARIO] ...`; one line of figures, `scenario=... k=v ...`; and `broker_end=...` with the broker's exit code,
# whether it died during the run or was stopped by the script at the end.
#
# Examples:
#   bench/hardening.sh /tmp/courier-before.jar pin
#   bench/hardening.sh cli/target/courier.jar churn --unsubscribe
#   bench/hardening.sh cli/target/courier.jar slowreader --no-slow
set -uo pipefail

if [ $# -lt 2 ]; then
    sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
jar=$1
scenario=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH_JAR:-$here/target/courier-bench.jar}
[ -f "$jar" ] || { echo "no broker jar at $jar" >&2; exit 2; }
[ -f "$bench" ] || { echo "no bench jar at $bench: build it with mvn -B -q -o -DskipTests -pl bench -am package" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp "${TMPDIR:-/tmp}/courier-hardening-$scenario.XXXXXX.log")

# A process that has exited but is not yet reaped is a zombie: not alive.
alive() {
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status"
}

# shellcheck disable=SC2086  # BROKER_JAVA_OPTS is a list of JVM flags
java -Xmx256m ${BROKER_JAVA_OPTS:-} -jar "$jar" broker --port "$port" >"$log" 2>&1 &
broker=$!
broker_code=""
# SIGTERM (SIGKILL after 12 s), then reap it once and keep its exit code.
stop_broker() {
    if alive "$broker"; then
        kill -TERM "$broker" 2>/dev/null
        for _ in $(seq 1 60); do alive "$broker" || break; sleep 0.2; done
        alive "$broker" && kill -KILL "$broker" 2>/dev/null
    fi
    if [ -z "$broker_code" ]; then
        wait "$broker" 2>/dev/null
        broker_code=$?
    fi
}
trap 'stop_broker' EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 150); do
    grep -q "listening" "$log" && break
    alive "$broker" || break
    sleep 0.2
done
if ! grep -q "listening" "$log"; then
    echo "the broker did not start; its log ($log):" >&2
    cat "$log" >&2
    exit 1
fi

echo "broker: pid $broker, 127.0.0.1:$port, -Xmx256m, log $log"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 150 java -jar "$bench" hardening "$scenario" --server "127.0.0.1:$port" --broker-pid "$broker" \
    --broker-log "$log" "$@"
rc=$?

if alive "$broker"; then
    stop_broker
    echo "broker_end=alive-at-end broker_exit_code=$broker_code (after the script's SIGTERM)"
else
    stop_broker
    echo "broker_end=exited-during-run broker_exit_code=$broker_code"
fi
trap - EXIT
exit "$rc"
