package io.courier.loadgen;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time (user plus system) a process has used so far: this JVM's from its OperatingSystemMXBean, another
 * process's from {@code /proc/PID/stat} (Linux), so a run can show whether the load generator or the broker was the
 * busy one. Each figure is -1 when it cannot be read.
 */
public final class ProcessCpu {

    /** Clock ticks per second of {@code /proc/PID/stat}'s utime and stime: USER_HZ, 100 on every Linux ABI in use. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcessCpu() {
    }

    /** CPU nanoseconds this JVM has used, every thread (JIT and GC too); -1 when the JVM does not say. */
    public static long selfNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** CPU nanoseconds process {@code pid} has used, from {@code /proc/PID/stat}; -1 when {@code pid <= 0} or unreadable. */
    public static long nanos(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            return parseStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU nanoseconds each thread of process {@code pid} has used, keyed "TID name" (name as the thread set it, e.g.
     * "C2 CompilerThre"), from {@code /proc/PID/task/TID/stat}; empty when the process cannot be read.
     */
    public static Map<String, Long> threadNanos(long pid) {
        Map<String, Long> out = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    out.put(task.getFileName() + " " + name, parseStat(stat));
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // no such process (any more)
        }
        return out;
    }

    /**
     * utime + stime of a {@code /proc/PID/stat} line, in nanoseconds. The command name (field 2) is in parentheses
     * and may hold spaces, so fields are counted from the last ')': utime and stime are fields 14 and 15.
     */
    static long parseStat(String stat) {
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(after[11]) + Long.parseLong(after[12]);
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }
}
