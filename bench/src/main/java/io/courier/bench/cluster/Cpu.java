package io.courier.bench.cluster;

import io.courier.loadgen.ProcessCpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of the load generator and of each broker process over one scenario, and the busiest threads of each
 * broker (from {@code /proc/PID/task/TID/stat}), so every figure comes with who was busy.
 */
final class Cpu {

    private final List<Long> pids;
    private final List<String> names;
    private long self;
    private long[] processes;
    private List<Map<String, Long>> threads;
    private long start;

    Cpu(List<Long> pids, List<String> names) {
        this.pids = pids;
        this.names = names;
    }

    void start() {
        self = ProcessCpu.selfNanos();
        processes = new long[pids.size()];
        threads = new ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            processes[i] = ProcessCpu.nanos(pids.get(i));
            threads.add(ProcessCpu.threadNanos(pids.get(i)));
        }
        start = System.nanoTime();
    }

    /** Records CPU as % of one core over the seconds since {@link #start}, and prints the busiest broker threads. */
    void stop(Figures figures, String scenario) {
        double seconds = (System.nanoTime() - start) / 1e9;
        figures.add(scenario + ": CPU, load generator", (ProcessCpu.selfNanos() - self) / 1e9 / seconds * 100, "%",
                "none");
        for (int i = 0; i < pids.size(); i++) {
            long now = ProcessCpu.nanos(pids.get(i));
            if (now < 0 || processes[i] < 0) {
                continue;
            }
            figures.add(scenario + ": CPU, " + names.get(i), (now - processes[i]) / 1e9 / seconds * 100, "%", "none");
            Map<String, Long> before = threads.get(i);
            Map<String, Long> after = ProcessCpu.threadNanos(pids.get(i));
            Map<String, Long> byName = new HashMap<>();
            for (Map.Entry<String, Long> t : after.entrySet()) {
                long used = t.getValue() - before.getOrDefault(t.getKey(), 0L);
                String name = t.getKey().substring(t.getKey().indexOf(' ') + 1).replaceAll("[0-9]+$", "#");
                byName.merge(name, used, Long::sum);
            }
            StringBuilder line = new StringBuilder("    busiest threads of " + names.get(i) + ":");
            byName.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
                    .forEach(t -> line.append(String.format(Locale.ROOT, " %s %.0f%%", t.getKey(),
                            t.getValue() / 1e9 / seconds * 100)));
            System.out.println(line);
        }
    }
}
