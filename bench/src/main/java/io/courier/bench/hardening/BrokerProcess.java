package io.courier.bench.hardening;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The broker seen from outside, the way an operator sees it: /proc/PID/status for liveness and memory, jcmd for the
 * heap, its log file for what it said. A broker that has died but not yet been reaped by the script that started it
 * is a zombie: it counts as dead.
 */
final class BrokerProcess {

    /** "garbage-first heap   total 262144K, used 45678K [...]" and the like for the other collectors. */
    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");
    private static final int LOG_LINES_SHOWN = 6;
    private static final int LOG_LINE_CHARS = 180;

    /** What the log says since {@link #markLog()}. */
    record LogSince(int lines, boolean outOfMemory, List<String> firstLines) { }

    /**
     * Memory at one moment; -1 where not known. {@code maxRssSeenKiB} is the largest RSS sampled (every 200 ms) since
     * the scenario began: still known when the broker has died, when /proc no longer has its VmHWM.
     */
    record Memory(boolean alive, long rssKiB, long peakRssKiB, long maxRssSeenKiB, long heapUsedKiB,
                  long heapTotalKiB) {
        void putInto(Figures f) {
            f.put("broker_alive", alive);
            f.put("broker_rss_mib", mib(rssKiB));
            f.put("broker_peak_rss_mib", mib(peakRssKiB));
            f.put("broker_max_rss_seen_mib", mib(maxRssSeenKiB));
            f.put("broker_heap_used_mib", mib(heapUsedKiB));
            f.put("broker_heap_total_mib", mib(heapTotalKiB));
        }

        private static String mib(long kib) {
            return kib < 0 ? "na" : Long.toString(kib / 1024);
        }
    }

    private final long pid;
    private final Path log;
    private long logMark;
    private volatile long maxRssSeenKiB = -1;
    private boolean sampling;

    BrokerProcess(long pid, Path log) {
        this.pid = pid;
        this.log = log;
    }

    long pid() {
        return pid;
    }

    /** True while the process exists and has not exited (a zombie has exited). True when the pid is unknown. */
    boolean alive() {
        if (pid <= 0) {
            return true;
        }
        String state = statusField("State");
        return state != null && !state.startsWith("Z") && !state.startsWith("X");
    }

    /** Resident memory now, in KiB; -1 when unknown or dead. */
    long rssKiB() {
        return kib(statusField("VmRSS"));
    }

    /** Memory now. The heap comes from jcmd GC.heap_info (no collection forced), which can take seconds. */
    Memory memory() {
        if (pid <= 0) {
            return new Memory(true, -1, -1, -1, -1, -1);
        }
        boolean alive = alive();
        long rss = rssKiB();
        long peak = kib(statusField("VmHWM"));
        maxRssSeenKiB = Math.max(maxRssSeenKiB, rss);
        long used = -1;
        long total = -1;
        if (alive) {
            Matcher m = HEAP.matcher(jcmd("GC.heap_info"));
            if (m.find()) {
                total = Long.parseLong(m.group(1));
                used = Long.parseLong(m.group(2));
            }
        }
        return new Memory(alive, rss, peak, maxRssSeenKiB, used, total);
    }

    /** Sends SIGTERM, as an operator's {@code kill -TERM PID}. */
    void sigterm() throws IOException, InterruptedException {
        if (pid <= 0) {
            throw new IllegalStateException("--broker-pid is needed to stop the broker");
        }
        Process p = new ProcessBuilder("kill", "-TERM", Long.toString(pid)).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("kill -TERM " + pid + " failed");
        }
    }

    /** Samples the RSS every 200 ms from now on, keeping the largest. */
    synchronized void startSampling() {
        if (sampling || pid <= 0) {
            return;
        }
        sampling = true;
        HardeningCommand.daemon("broker-rss", () -> {
            while (alive()) {
                maxRssSeenKiB = Math.max(maxRssSeenKiB, rssKiB());
                HardeningCommand.pause(200);
            }
        });
    }

    /** Only what the broker logs after this call is reported by {@link #logSince()}. */
    void markLog() {
        try {
            logMark = log == null || !Files.exists(log) ? 0 : Files.size(log);
        } catch (IOException e) {
            logMark = 0;
        }
    }

    LogSince logSince() {
        if (log == null || !Files.exists(log)) {
            return new LogSince(-1, false, List.of());
        }
        int lines = 0;
        boolean oom = false;
        List<String> first = new ArrayList<>();
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            file.seek(Math.min(logMark, file.length()));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(file.getChannel()),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                lines++;
                oom |= line.contains("OutOfMemoryError");
                if (first.size() < LOG_LINES_SHOWN) {
                    first.add(line.length() > LOG_LINE_CHARS ? line.substring(0, LOG_LINE_CHARS) + "..." : line);
                }
            }
        } catch (IOException e) {
            first.add("(cannot read " + log + ": " + e.getMessage() + ")");
        }
        return new LogSince(lines, oom, first);
    }

    /** Memory, log and liveness into the figures, and the first log lines for people. */
    void report(Figures f, Memory memory) {
        memory.putInto(f);
        LogSince since = logSince();
        f.put("broker_log_lines", since.lines());
        f.put("broker_oom", since.outOfMemory());
        for (String line : since.firstLines()) {
            f.say("broker log: " + line);
        }
        if (since.lines() > since.firstLines().size()) {
            f.say("broker log: ... " + (since.lines() - since.firstLines().size()) + " more lines in " + log);
        }
    }

    private String statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static long kib(String field) {
        if (field == null) {
            return -1;
        }
        String digits = field.replaceAll("[^0-9]", "");
        return digits.isEmpty() ? -1 : Long.parseLong(digits);
    }

    private String jcmd(String command) {
        String jcmd = System.getProperty("java.home") + "/bin/jcmd";
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
            AtomicReference<String> out = new AtomicReference<>("");
            Thread reader = HardeningCommand.daemon("jcmd-out", () -> {
                try {
                    out.set(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.set("");
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            reader.join(2000);
            return out.get();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
