#!/usr/bin/env bash
# Courier 3-node cluster beside a nats-server 3-node cluster on this machine, driven by one load generator
# (bench/target/courier-bench.jar cluster ...), each system through its own Java client (client-java, jnats):
#
#   cluster   cross-node: publishers and requester on node 2, subscribers and responder on node 1;
#             1->1 and 1->10 at 128 B, ping-pong p50/p99/p99.9, interest propagation (SUB on node 1, publish on node 2)
#   recovery  a fresh cluster; N clients (default 5,000) on node 1, each with the three nodes in its server list and
#             a subscription; kill -9 node 1; time until a probe published on node 2 reaches all N
#   single    one broker (not clustered): the same 1->1, 1->10 and ping-pong, for scale
#
#   flock /tmp/courier-bench.lock bench/cluster.sh [--scale X] [--systems "courier nats"]
#       [--scenarios "cluster recovery single"] [--clients 5000] [--probe-interval PT0.05S]
#       [--nats-reconnect-wait PT0.05S] [--nats-reconnect-jitter PT0.05S]   (jnats' own defaults: PT2S, PT0.1S)
#
# Installs nats-server from the Debian packages when it is missing and rebuilds the jars (COURIER_BENCH_SKIP_BUILD=1
# reuses them). Every broker runs on 127.0.0.1 on free ports and is stopped at the end, also on failure. Writes
# bench/results/cluster-<stamp>.{tsv,md,log}: every figure, the Courier | NATS | Courier/NATS table, and the run's
# log (load averages, the busiest broker threads per scenario). --scale 0.05 --clients 500 is a smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scale=1
systems="courier nats"
scenarios="cluster recovery single"
clients=5000
probe_interval=PT0.05S
nats_reconnect_wait=PT0.05S
nats_reconnect_jitter=PT0.05S
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) scale=$2; shift 2 ;;
        --systems) systems=$2; shift 2 ;;
        --scenarios) scenarios=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --probe-interval) probe_interval=$2; shift 2 ;;
        --nats-reconnect-wait) nats_reconnect_wait=$2; shift 2 ;;
        --nats-reconnect-jitter) nats_reconnect_jitter=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "cluster.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/debian-packages.sh
. bench/debian-packages.sh
case " $systems " in *" nats "*) install_missing nats-server ;; esac

if [ "${COURIER_BENCH_SKIP_BUILD:-}" != 1 ]; then
    echo "building the broker and the load generator (clean, so no stale classes are measured)"
    # shellcheck disable=SC2086 # MVN_FLAGS is a list of options (e.g. -o)
    mvn -B -q ${MVN_FLAGS:-} -DskipTests -pl cli,bench -am clean package
fi
jar="$root/cli/target/courier.jar"
bench_jar="$root/bench/target/courier-bench.jar"
# 5,000 clients in one JVM: Courier's client holds three descriptors per connection (the socket and the reader's
# selector; a writer's selector only once its socket was full), jnats one. Raising the hard limit needs root;
# otherwise take the hard limit.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ " $scenarios " == *" recovery "* ]] && [ "$(ulimit -n)" != unlimited ] \
    && [ $((3 * clients + 2000)) -gt "$(ulimit -n)" ]; then
    echo "cluster.sh: warning: $clients Courier clients need about $((3 * clients + 2000)) descriptors in one JVM, the" \
        "limit is $(ulimit -n) (and cannot be raised here); Courier clients past it fail to connect. --clients" \
        "$(( ($(ulimit -n) - 2000) / 3 )) fits." >&2
fi

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p bench/results
results="$root/bench/results/cluster-$stamp.tsv"
log="$root/bench/results/cluster-$stamp.log"
: >"$results"
work=$(mktemp -d)
started=()   # every broker pid this script started

stop_all() {
    local pid
    for pid in "${started[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${started[@]}"; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    started=()
}
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

say() { echo "$*" | tee -a "$log"; }

free_port() {
    free_ports 1
}

# $1 distinct free ports, one per line: all held open until all are chosen, since a port released by one probe can
# be handed to the next (two nodes of one run were once given the same client port).
free_ports() {
    python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in held))' "$1"
}

# The body of GET $2 on 127.0.0.1:$1, or nothing.
http_get() {
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' '$2' >&3 \
        && cat <&3" 2>/dev/null || true
}

# Waits until command $2 succeeds, up to $1 seconds, while every started process is alive.
await() {
    local seconds=$1 what=$2 pid
    local deadline=$((SECONDS + seconds))
    until eval "$what"; do
        for pid in "${started[@]}"; do
            kill -0 "$pid" 2>/dev/null || { say "a broker (pid $pid) exited; logs in $work:"; tail -n 5 "$work"/*.log; return 1; }
        done
        [ $SECONDS -lt $deadline ] || { say "not ready after $seconds s: $what"; tail -n 5 "$work"/*.log; return 1; }
        sleep 0.2
    done
}

# Nodes 1..3: client, admin/monitor, cluster and route ports, pids.
declare -a cport aport kport rport npid

courier_ready() {
    local i body
    for i in 1 2 3; do
        body=$(http_get "${aport[$i]}" /api/cluster)
        [ "$(grep -c '"status" : "up"' <<<"$body")" = 3 ] || return 1
        [ "$(grep -c '"routed" : true' <<<"$body")" = 3 ] || return 1
    done
}

nats_ready() {
    local i
    for i in 1 2 3; do
        http_get "${aport[$i]}" /routez | grep -q '"num_routes": 2' || return 1
    done
}

start_cluster() {
    local system=$1 i j seeds="" routes
    local ports
    mapfile -t ports < <(free_ports 12)
    for i in 1 2 3; do
        cport[$i]=${ports[$((i * 4 - 4))]}; aport[$i]=${ports[$((i * 4 - 3))]}
        kport[$i]=${ports[$((i * 4 - 2))]}; rport[$i]=${ports[$((i * 4 - 1))]}
    done
    for i in 1 2 3; do seeds="${seeds:+$seeds,}127.0.0.1:${kport[$i]}"; done
    for i in 1 2 3; do
        if [ "$system" = courier ]; then
            # As deploy/local-cluster.sh starts a node, on free ports; the flags of ./courier.
            # shellcheck disable=SC2086
            COURIER_PORT=${cport[$i]} COURIER_CLUSTER=true COURIER_NODE_HOST=127.0.0.1 \
                COURIER_CLUSTER_PORT=${kport[$i]} COURIER_ROUTE_PORT=${rport[$i]} COURIER_SEEDS=$seeds \
                COURIER_ADMIN=true COURIER_ADMIN_PORT=${aport[$i]} \
                java $("$root/deploy/jvm-flags.sh") ${JAVA_OPTS:-} -Dcourier.server-id="node-$i" -jar "$jar" broker \
                --config "$root/config/cluster-node.conf" >"$work/courier-node-$i.log" 2>&1 </dev/null &
        else
            routes=""
            for j in 1 2 3; do
                [ "$j" = "$i" ] || routes="${routes:+$routes,}nats://127.0.0.1:${kport[$j]}"
            done
            nats-server -n "node-$i" -a 127.0.0.1 -p "${cport[$i]}" -m "${aport[$i]}" --cluster_name courier-bench \
                --cluster "nats://127.0.0.1:${kport[$i]}" --routes "$routes" >"$work/nats-node-$i.log" 2>&1 </dev/null &
        fi
        npid[$i]=$!
        started+=("${npid[$i]}")
    done
    await 90 "${system}_ready"
    say "$system cluster up: clients at 127.0.0.1:${cport[1]}, :${cport[2]}, :${cport[3]} (pids ${npid[1]} ${npid[2]} ${npid[3]})"
}

start_single() {
    local system=$1
    cport[1]=$(free_port)
    if [ "$system" = courier ]; then
        # shellcheck disable=SC2086
        java $("$root/deploy/jvm-flags.sh") ${JAVA_OPTS:-} -jar "$jar" broker --host 127.0.0.1 --port "${cport[1]}" \
            >"$work/courier-single.log" 2>&1 </dev/null &
    else
        nats-server -a 127.0.0.1 -p "${cport[1]}" >"$work/nats-single.log" 2>&1 </dev/null &
    fi
    npid[1]=$!
    started+=("${npid[1]}")
    await 60 "(exec 3<>/dev/tcp/127.0.0.1/${cport[1]}) 2>/dev/null"
    say "$system single broker up on 127.0.0.1:${cport[1]} (pid ${npid[1]})"
}

# What each node counted of drops and slow consumers (and routed messages), into the log.
counters() {
    local i page=/varz
    [ "$system" = courier ] && page=/api/server
    for i in 1 2 3; do
        say "node $i counters: $(http_get "${aport[$i]}" "$page" | grep -iE 'rout|drop|slow|discard|"in_msgs|"out_msgs' \
            | tr -d ' \n' | cut -c1-600)"
    done
}

generator() {
    # shellcheck disable=SC2086
    java ${BENCH_JAVA_OPTS:--Xmx4g} -jar "$bench_jar" cluster "$@" 2>&1 | tee -a "$log"
    return "${PIPESTATUS[0]}"
}

context="date:    $(date -u '+%Y-%m-%d %H:%M UTC')
commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')
command: bench/cluster.sh --scale $scale --systems \"$systems\" --scenarios \"$scenarios\" --clients $clients --probe-interval $probe_interval --nats-reconnect-wait $nats_reconnect_wait --nats-reconnect-jitter $nats_reconnect_jitter
machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
java:    $(java -version 2>&1 | head -1)
nats:    $( { nats-server --version 2>&1 || true; } | head -1)"
say "$context
files:   $(ulimit -n) descriptors per process"

for scenario in $scenarios; do
    for system in $systems; do
        say ""
        say "=== $scenario: $system   (load average at the start: $(uptime | sed 's/.*load average: //'))"
        case "$scenario" in
            cluster)
                start_cluster "$system"
                generator load --system "$system" --setup "3 nodes, cross-node" --pub "127.0.0.1:${cport[2]}" \
                    --sub "127.0.0.1:${cport[1]}" --pids "${npid[1]},${npid[2]},${npid[3]}" \
                    --names "node 1,node 2,node 3" --scale "$scale" --results "$results" \
                    || say "$system: the cluster load run failed (see above)"
                counters ;;
            recovery)
                start_cluster "$system"
                generator recovery --system "$system" --setup "3 nodes" --clients "$clients" \
                    --servers "127.0.0.1:${cport[1]},127.0.0.1:${cport[2]},127.0.0.1:${cport[3]}" \
                    --kill-pid "${npid[1]}" --probe "127.0.0.1:${cport[2]}" --probe-interval "$probe_interval" \
                    --nats-reconnect-wait "$nats_reconnect_wait" --nats-reconnect-jitter "$nats_reconnect_jitter" --pids "${npid[2]},${npid[3]}" --names "node 2,node 3" --results "$results" \
                    || say "$system: the recovery run failed (see above)" ;;
            single)
                start_single "$system"
                generator load --system "$system" --setup "single node" --pub "127.0.0.1:${cport[1]}" \
                    --sub "127.0.0.1:${cport[1]}" --pids "${npid[1]}" --names "broker" --scale "$scale" \
                    --results "$results" || say "$system: the single-node load run failed (see above)" ;;
            *) say "unknown scenario $scenario (cluster, recovery, single)"; exit 2 ;;
        esac
        for f in "$work"/*.log; do [ -e "$f" ] && mv "$f" "$root/bench/results/cluster-$stamp-$scenario-$(basename "$f")"; done
        stop_all
    done
done

say ""
java -jar "$bench_jar" cluster report "$results" --markdown "$root/bench/results/cluster-$stamp.md" | tee -a "$log"
say ""
say "wrote $results, bench/results/cluster-$stamp.md and $log"
