#!/usr/bin/env bash
# A Courier broker cluster on this machine: N broker nodes on 127.0.0.1, each its own JVM.
#
#   deploy/local-cluster.sh start 3    start nodes 1..3 (at most 9); prints each node's client address
#   deploy/local-cluster.sh status     each node's process, then the members as a live node sees them
#   deploy/local-cluster.sh kill 2     kill -9 node 2: its clients move to the others by themselves
#   deploy/local-cluster.sh restart 2  start node 2 again, on the same addresses: it rejoins
#   deploy/local-cluster.sh stop       stop every node gracefully (each leaves the cluster), then remove the state
#
# Node I listens for clients on 127.0.0.1:480I, for the cluster (Pekko Artery) on 490I, for route links on 500I and
# serves its admin port on 488I. Logs and pid files live in $COURIER_LOCAL_CLUSTER (default: a directory under
# ${TMPDIR:-/tmp} named after the user), so status, kill and stop work from any shell. JAVA_OPTS goes to every node.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${COURIER_LOCAL_CLUSTER:-${TMPDIR:-/tmp}/courier-local-cluster-$(id -u)}
jar="$root/cli/target/courier.jar"

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "local-cluster: $*" >&2
    exit 1
}

client_port() { echo $((4800 + $1)); }
admin_port() { echo $((4880 + $1)); }
cluster_port() { echo $((4900 + $1)); }
route_port() { echo $((5000 + $1)); }

pid_of() {
    local f="$state/node-$1.pid"
    [ -f "$f" ] && cat "$f"
}

alive() {
    local pid
    pid=$(pid_of "$1") || return 1
    running "$pid"
}

# A process that exists and is not a zombie: a broker killed here is reaped by whoever adopted it, perhaps late.
running() {
    kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != "Z" ]
}

require_cluster() {
    [ -f "$state/size" ] || die "no local cluster is running (nothing in $state); start one with: $0 start 3"
}

nodes() {
    seq 1 "$(cat "$state/size")"
}

# Answers the HTTP status of GET $2 on node $1's admin port, or nothing when the port does not answer. Bash's
# /dev/tcp: no curl or wget needed on a bare machine.
http_status() {
    local reply
    reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(admin_port "$1") \
        && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' '$2' >&3 && head -n 1 <&3" 2>/dev/null) || return 0
    echo "$reply" | awk '{print $2}'
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

launch() {
    local i=$1 size=$2 seeds="" s
    for s in $(seq 1 $((size < 3 ? size : 3))); do
        seeds="${seeds:+$seeds,}127.0.0.1:$(cluster_port "$s")"
    done
    for p in $(client_port "$i") $(admin_port "$i") $(cluster_port "$i") $(route_port "$i"); do
        port_free "$p" || die "port $p (for node $i) is taken by another process; stop it first"
    done
    # setsid: a node outlives the shell that started it, and a Ctrl-C there does not reach it.
    COURIER_PORT=$(client_port "$i") COURIER_CLUSTER=true COURIER_NODE_HOST=127.0.0.1 \
        COURIER_CLUSTER_PORT=$(cluster_port "$i") COURIER_ROUTE_PORT=$(route_port "$i") COURIER_SEEDS=$seeds \
        COURIER_ADMIN=true COURIER_ADMIN_PORT=$(admin_port "$i") \
        setsid java $("$root/deploy/jvm-flags.sh") ${JAVA_OPTS:-} -Dcourier.server-id="node-$i" -jar "$jar" broker \
        --config "$root/config/cluster-node.conf" >>"$state/node-$i.log" 2>&1 </dev/null &
    echo $! >"$state/node-$i.pid"
}

await_ready() {
    local i=$1 deadline=$((SECONDS + 60))
    until [ "$(http_status "$i" /readyz)" = 200 ]; do
        alive "$i" || die "node $i exited while starting; its log: $state/node-$i.log (last lines below)
$(tail -n 5 "$state/node-$i.log")"
        [ $SECONDS -lt $deadline ] || die "node $i is not ready after 60 s; its log: $state/node-$i.log"
        sleep 0.2
    done
}

start() {
    local size=${1:-3}
    [[ $size =~ ^[1-9]$ ]] || die "start takes a node count from 1 to 9, got '$size'"
    if [ -f "$state/size" ]; then
        for i in $(nodes); do
            alive "$i" && die "a local cluster is already running (node $i, pid $(pid_of "$i")); stop it first: $0 stop"
        done
        rm -rf "$state"
    fi
    mkdir -p "$state"
    # Build once, here, rather than in every node at once.
    "$root/courier" --version >/dev/null
    echo "$size" >"$state/size"
    for i in $(seq 1 "$size"); do
        launch "$i" "$size"
    done
    for i in $(seq 1 "$size"); do
        await_ready "$i"
        echo "node $i: clients at 127.0.0.1:$(client_port "$i") (admin 127.0.0.1:$(admin_port "$i"), pid $(pid_of "$i"))"
    done
    echo "logs in $state"
}

status() {
    local admins="" i
    require_cluster
    for i in $(nodes); do
        if alive "$i"; then
            echo "node $i: running, pid $(pid_of "$i"), clients at 127.0.0.1:$(client_port "$i"), ready: $(
                [ "$(http_status "$i" /readyz)" = 200 ] && echo yes || echo no)"
            admins="${admins:+$admins,}127.0.0.1:$(admin_port "$i")"
        else
            echo "node $i: not running (log: $state/node-$i.log)"
        fi
    done
    [ -n "$admins" ] || return 0
    echo
    java -jar "$jar" cluster status --admin "$admins"
}

kill_node() {
    local i=${1:-}
    require_cluster
    [[ $i =~ ^[1-9]$ ]] && [ "$i" -le "$(cat "$state/size" 2>/dev/null || echo 0)" ] \
        || die "kill takes a node number of the running cluster (1 to $(cat "$state/size" 2>/dev/null || echo 0)), got '$i'"
    alive "$i" || die "node $i is not running"
    kill -9 "$(pid_of "$i")"
    echo "node $i (pid $(pid_of "$i")) killed with SIGKILL"
}

restart_node() {
    local i=${1:-}
    require_cluster
    [[ $i =~ ^[1-9]$ ]] && [ "$i" -le "$(cat "$state/size" 2>/dev/null || echo 0)" ] \
        || die "restart takes a node number of the running cluster, got '$i'"
    alive "$i" && die "node $i is running (pid $(pid_of "$i")); kill it first"
    launch "$i" "$(cat "$state/size")"
    await_ready "$i"
    echo "node $i: clients at 127.0.0.1:$(client_port "$i") (pid $(pid_of "$i"))"
}

stop() {
    local i pids=""
    require_cluster
    for i in $(nodes); do
        if alive "$i"; then
            kill -TERM "$(pid_of "$i")"
            pids="$pids $(pid_of "$i")"
        fi
    done
    local deadline=$((SECONDS + 60)) pid killed
    for pid in $pids; do
        killed=""
        while running "$pid"; do
            if [ $SECONDS -ge $deadline ] && [ -z "$killed" ]; then
                echo "local-cluster: pid $pid did not stop within 60 s; killing it" >&2
                kill -9 "$pid" 2>/dev/null || true
                killed=1
            fi
            sleep 0.2
        done
    done
    rm -f "$state"/node-*.pid "$state/size"
    echo "stopped; logs kept in $state"
}

case "${1:-}" in
    start) start "${2:-3}" ;;
    status) status ;;
    kill) kill_node "${2:-}" ;;
    restart) restart_node "${2:-}" ;;
    stop) stop ;;
    *) usage ;;
esac
