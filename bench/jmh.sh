#!/usr/bin/env bash
# JMH micro-benchmarks of the wire codec and the subscription index, with the GC profiler.
#   bench/jmh.sh [EXTRA JMH OPTIONS]      e.g. bench/jmh.sh -p payloadSize=128
# Builds the bench jar, runs CodecBenchmark and SubscriptionIndexBenchmark in one JVM fork per parameter set, writes
# JMH's output to bench/results/jmh-<date>.txt and its JSON to bench/results/jmh-<date>.json, and prints one line per
# benchmark: ns per op and bytes allocated per op (gc.alloc.rate.norm). One op is one frame or one match.
# Iterations are modest (JMH_WARMUPS, JMH_ITERATIONS, JMH_SECONDS override them) so the run takes about seven minutes
# on two cores; anything else running on the machine shows up as wide error bars.
set -euo pipefail
cd "$(dirname "$0")/.."

warmups=${JMH_WARMUPS:-3}
iterations=${JMH_ITERATIONS:-4}
seconds=${JMH_SECONDS:-1}

mvn -B -q -DskipTests -pl bench -am package

mkdir -p bench/results
stamp=$(date -u '+%Y-%m-%d-%H%M%S')
txt=bench/results/jmh-$stamp.txt
json=bench/results/jmh-$stamp.json
{
    echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "java:    $(java -version 2>&1 | head -1)"
    echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the run"
    echo
} | tee "$txt"

java -jar bench/target/courier-bench.jar jmh \
    -f 1 -wi "$warmups" -w "${seconds}s" -i "$iterations" -r "${seconds}s" -bm avgt -tu ns \
    -prof gc -rf json -rff "$json" "$@" \
    '\.CodecBenchmark\.' '\.SubscriptionIndexBenchmark\.' 2>&1 | tee -a "$txt"

{
echo
echo "summary (ns/op +- 99.9% error; B/op = gc.alloc.rate.norm)"
python3 - "$json" <<'EOF'
import json, sys
rows = []
for r in json.load(open(sys.argv[1])):
    name = r["benchmark"].rsplit(".", 2)
    params = " ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
    m = r["primaryMetric"]
    norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    rows.append((f"{name[-2]}.{name[-1]}", params, f"{m['score']:.1f} +- {m['scoreError']:.1f}",
                 "n/a" if norm is None else f"{norm:.1f}"))
head = ("benchmark", "params", "ns/op", "B/op")
widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(4)]
for row in [head] + rows:
    print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}")
EOF
} | tee -a "$txt"
echo
echo "results: $txt, $json"
