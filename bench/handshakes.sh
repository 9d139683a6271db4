#!/usr/bin/env bash
# Handshake rate of a cold broker: Courier and nats-server, each freshly started, alternating, rounds of handshakes
# from one load generator on 127.0.0.1 (`courier-bench handshakes`).
#
#   bench/handshakes.sh [--runs N] [--rounds R] [--connections C] [--systems "courier nats"] [--jar JAR]
#
#   --runs N         fresh brokers per system, alternating courier, nats, courier, ... (default 2)
#   --rounds R       rounds per broker (default 6); round 0 is the broker's first C handshakes
#   --connections C  handshakes per round (default 5000), at most 100 in flight, all closed after each round
#   --jar JAR        the jar that runs Courier's broker (default cli/target/courier.jar), e.g. one built from an
#                    older commit in a worktree
#
# Courier's broker runs with the JVM flags of deploy/jvm-flags.sh, as ./courier runs it; COURIER_JAVA_OPTS adds to
# them (default -Xmx1g) and wins. Each line printed is one round:
# rate in handshakes/s and, per handshake, the broker's CPU in microseconds split into the JIT compiler threads, the
# garbage collector and the rest (for NATS the split is meaningless: everything is "other"). The load generator is a
# fresh JVM for every broker too, so its own warm-up is in round 0 for both systems. Installs nats-server from the
# Debian packages when it is missing; builds nothing (mvn -B -q -DskipTests -pl cli,bench -am package first).
set -uo pipefail

runs=2
rounds=6
connections=5000
systems="courier nats"
here=$(cd "$(dirname "$0")" && pwd)
jar=$here/../cli/target/courier.jar
bench=${BENCH_JAR:-$here/target/courier-bench.jar}
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --systems) systems=$2; shift 2 ;;
        --jar) jar=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "handshakes.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -f "$jar" ] || { echo "no broker jar at $jar: build it with mvn -B -q -DskipTests -pl cli,bench -am package" >&2; exit 2; }
[ -f "$bench" ] || { echo "no bench jar at $bench: build it with mvn -B -q -DskipTests -pl cli,bench -am package" >&2; exit 2; }

# shellcheck source=bench/debian-packages.sh
. "$here/debian-packages.sh"
case " $systems " in *" nats "*) install_missing nats-server ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/courier-handshakes.XXXXXX")
broker=""
stop_broker() {
    if [ -n "$broker" ] && kill -0 "$broker" 2>/dev/null; then
        kill -TERM "$broker" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$broker" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$broker" 2>/dev/null
    fi
    [ -n "$broker" ] && wait "$broker" 2>/dev/null
    broker=""
}
trap 'stop_broker' EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "java:    $(java -version 2>&1 | head -1); nats: $( { nats-server --version 2>&1 || true; } | head -1)"
echo "logs:    $work"
status=0
for run in $(seq 1 "$runs"); do
    for system in $systems; do
        port=$(free_port)
        log="$work/$system-$run.log"
        case $system in
            courier)
                # shellcheck disable=SC2086,SC2046 # both are lists of JVM flags
                java $("$here/../deploy/jvm-flags.sh") ${COURIER_JAVA_OPTS:--Xmx1g} -jar "$jar" broker --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
                protocol=COURIER ;;
            nats)
                nats-server -a 127.0.0.1 -p "$port" >"$log" 2>&1 &
                protocol=NATS ;;
            *) echo "unknown system $system" >&2; exit 2 ;;
        esac
        broker=$!
        for _ in $(seq 1 150); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null && break
            sleep 0.1
        done
        # The probe above was one handshake-less connection; wait for the broker to settle from its start.
        sleep 2
        java -jar "$bench" handshakes --protocol "$protocol" --server "127.0.0.1:$port" --broker-pid "$broker" \
            --rounds "$rounds" --connections "$connections" --label "$system run=$run" || status=1
        stop_broker
        sleep 2
    done
done
exit $status
