#!/usr/bin/env bash
# End-to-end test of the admin port's dashboard (issue 16) in a real browser: starts a broker from the CLI jar with
# its admin port open, sends traffic with the CLI's client, loads the dashboard in headless Chromium and checks
# that the numbers on the page are those of /api/server. Saves the page's DOM and a screenshot under target/.
#
#   bench/dashboard-test.sh [JAR]      default JAR: cli/target/courier.jar (built with mvn package when missing)
#
# Installs Debian's chromium package when no chromium is on the PATH (apt-get; as root, or through sudo).
# Exit code 0 when every check passed, 1 otherwise; each check prints one line.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jar=${1:-$root/cli/target/courier.jar}
out=$root/target
mkdir -p "$out"

if [ ! -f "$jar" ]; then
    echo "building $jar (mvn package, tests skipped)"
    (cd "$root" && mvn -B -q -DskipTests -pl cli -am package) || { echo "FAIL: build" >&2; exit 1; }
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "installing chromium (apt-get)"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null \
        || { echo "FAIL: could not install chromium" >&2; exit 1; }
    browser=$(command -v chromium)
fi
echo "browser: $("$browser" --version 2>/dev/null)"

log=$out/dashboard-broker.log
java -Xmx256m -Dcourier.admin.enabled=true -Dcourier.admin.port=0 -jar "$jar" broker --port 0 >"$log" 2>&1 &
broker=$!
pids=("$broker")
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap cleanup EXIT
for _ in $(seq 150); do grep -q "admin port on" "$log" && break; sleep 0.2; done
server=$(sed -n 's/.* listening on \([0-9.]*:[0-9]*\) (TCP).*/\1/p' "$log" | head -n 1)
admin=$(sed -n 's/.*admin port on \([0-9.]*:[0-9]*\) .*/\1/p' "$log" | head -n 1)
if [ -z "$server" ] || [ -z "$admin" ]; then
    echo "FAIL: the broker did not start; its log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "broker on $server, admin port on $admin"

# Traffic: a subscriber that stays connected, 200 messages on one topic and 100 on another.
java -jar "$jar" sub 'dash.>' --server "$server" >"$out/dashboard-sub.out" 2>&1 &
pids+=("$!")
fails=0
json() { curl -fsS "http://$admin$1"; }
field() { sed -n "s/^  \"$1\" : \([0-9]*\).*/\1/p"; }
for _ in $(seq 150); do [ "$(json /api/server | field subscriptions)" = 1 ] && break; sleep 0.2; done
java -jar "$jar" pub dash.orders 'order {{Count}}' --count 200 --server "$server" >/dev/null 2>&1 \
    || { echo "FAIL: pub dash.orders"; fails=1; }
java -jar "$jar" pub dash.trades 'trade {{Count}}' --count 100 --server "$server" >/dev/null 2>&1 \
    || { echo "FAIL: pub dash.trades"; fails=1; }
for _ in $(seq 150); do [ "$(json /api/server | field messagesOut)" = 300 ] && break; sleep 0.2; done

chrome() {
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
        --user-data-dir="$out/dashboard-chromium" --virtual-time-budget=6000 "$@" 2>>"$out/dashboard-chromium.log"
}
chrome --dump-dom "http://$admin/" >"$out/dashboard-dom.html"
status=$(json /api/server)
echo "$status" >"$out/dashboard-server.json"
dom=$(cat "$out/dashboard-dom.html")
# The screenshot with traffic flowing, so that the chart has rates to draw (its numbers are not checked: under
# --virtual-time-budget the page's clock runs ahead of the real one, so the rates it draws are too low).
java -jar "$jar" pub dash.ticks 'tick {{Count}}' --count 3000 --sleep 2ms --server "$server" >/dev/null 2>&1 &
pids+=("$!")
sleep 2
chrome --screenshot="$out/dashboard.png" --window-size=1280,900 "http://$admin/" >/dev/null

check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ] && [ -n "$2" ]; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1: page shows '$3', expected '$2'"
        fails=1
    fi
}
shown() { printf '%s' "$dom" | sed -n "s/.*id=\"$1\"[^>]*data-value=\"\([0-9]*\)\".*/\1/p" | head -n 1; }
check "page loaded its data" true "$(printf '%s' "$dom" | grep -o 'data-ready="true"' | head -n 1 | cut -d'"' -f2)"
check "server id" "$(printf '%s' "$status" | sed -n 's/^  "serverId" : "\(.*\)",/\1/p')" \
    "$(printf '%s' "$dom" | sed -n 's/.*<span id="serverId">\([^<]*\)<.*/\1/p')"
for f in clients subscriptions messagesIn messagesOut slowConsumers dropped; do
    check "$f" "$(printf '%s' "$status" | field "$f")" "$(shown "$f")"
done
check "messages in after the traffic" 300 "$(shown messagesIn)"
check "connections listed" "$(printf '%s' "$status" | field clients)" "$(shown connectionsTotal)"
check "top topic" dash.orders "$(printf '%s' "$dom" | sed -n 's/.*<table id="topics">.*<tbody><tr><td>\([^<]*\)<.*/\1/p')"
check "cluster panel" "this broker runs alone" \
    "$(printf '%s' "$dom" | grep -o 'this broker runs alone' | head -n 1)"
if [ -s "$out/dashboard.png" ]; then
    echo "ok   screenshot: $out/dashboard.png"
else
    echo "FAIL screenshot: $out/dashboard.png was not written (see $out/dashboard-chromium.log)"
    fails=1
fi
[ "$fails" = 0 ] && echo "dashboard test passed" || echo "dashboard test FAILED (DOM: $out/dashboard-dom.html)"
exit "$fails"
