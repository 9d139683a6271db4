package io.courier.bench.cluster;

import io.courier.loadgen.ProcessCpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
            threads.add(threadTimes(pids.get(i)));
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
            Map<String, Long> after = threadTimes(pids.get(i));
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

    /** "TID name" -> CPU nanoseconds, for every thread of {@code pid}. */
    private static Map<String, Long> threadTimes(long pid) {
        Map<String, Long> out = new HashMap<>();
        Path dir = Path.of("/proc", Long.toString(pid), "task");
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(dir)) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    long ticks = Long.parseLong(after[11]) + Long.parseLong(after[12]);
                    out.put(task.getFileName() + " " + name, ticks * 10_000_000L);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // no such process (any more)
        }
        return out;
    }
}
