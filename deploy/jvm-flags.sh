#!/bin/sh
# Prints the JVM flags a Courier broker runs with. The launcher (./courier), deploy/local-cluster.sh, the benchmarks,
# the systemd unit and the container image all take them from here; JAVA_OPTS goes after them, so it wins.
#
# -XX:G1PeriodicGCInterval=5000: a broker that has been through a burst would otherwise keep the heap it grew to; a
#   periodic collection when idle lets the JVM give it back (measured after load: 818 MB -> 189 MB RSS within 12 s).
# -XX:CICompilerCount=4 on up to 4 processors: the JVM gives a 2-processor machine one C2 compiler thread, which
#   falls behind during the start-up warm-up, so the first storm of clients still met code being compiled (round 0
#   at 0.81-0.91 of NATS's handshake rate); with three C2 threads (started only while there is work for them) it was
#   at 1.10-1.36 (docs/performance.md, 2026-12-08). Larger machines get more than four by default.
flags="-XX:G1PeriodicGCInterval=5000"
if [ "$(nproc 2>/dev/null || echo 8)" -le 4 ]; then
    flags="$flags -XX:CICompilerCount=4"
fi
echo "$flags"
