package io.courier.loadgen;

import org.HdrHistogram.Histogram;

import java.util.Locale;

/** Formats benchmark results for people. */
public final class Report {

    private Report() {
    }

    public static String pubSub(PubSubBench.Result r) {
        PubSubBench.Settings s = r.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "pubsub: %d publisher(s) -> %d subscriber(s), %,d messages of %d B%n",
                s.publishers(), s.subscribers(), r.planned(), s.size()));
        sb.append(String.format(Locale.ROOT, "  published  %,14d of %,d  %,14.0f msgs/s%n", r.published(),
                r.planned(), r.publishedPerSecond()));
        if (s.subscribers() > 0) {
            sb.append(String.format(Locale.ROOT, "  delivered  %,14d of %,d  %,14.0f msgs/s  %,10.1f MB/s  in %.3f s%n",
                    r.delivered(), r.expected(), r.deliveredPerSecond(), r.deliveredMegabytesPerSecond(),
                    r.seconds()));
            sb.append(String.format(Locale.ROOT, "  missing    %,14d (published but not delivered)%n", r.missing()));
            sb.append("  end-to-end latency under load (us): ").append(percentiles(r.latency(), 1)).append('\n');
        }
        if (r.generatorCpuNanos() >= 0) {
            sb.append(String.format(Locale.ROOT, "  CPU: load generator %.2f s (%.0f%% of a core)", r.generatorCpuNanos() / 1e9,
                    r.generatorCpuPercent()));
            if (r.brokerCpuNanos() >= 0) {
                sb.append(String.format(Locale.ROOT, ", broker %.2f s (%.0f%% of a core)", r.brokerCpuNanos() / 1e9,
                        r.brokerCpuPercent()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    public static String latency(LatencyBench.Result r) {
        LatencyBench.Settings s = r.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "latency: %d request/reply round trips of %d B, %s%n",
                s.requests(), s.size(), s.rate() == 0 ? "back to back (ping-pong)"
                        : s.rate() + "/s fixed rate, coordinated-omission corrected"));
        sb.append(String.format(Locale.ROOT, "  %,.0f round trips/s, %d failed%n", (s.requests() - r.failed()) / r.seconds(),
                r.failed()));
        sb.append("  round trip (us): ").append(percentiles(r.nanos(), 1000)).append('\n');
        return sb.toString();
    }

    /** p50, p90, p99, p99.9 and max, in the histogram's unit divided by {@code scale}. */
    public static String percentiles(Histogram h, double scale) {
        if (h.getTotalCount() == 0) {
            return "no samples";
        }
        return String.format(Locale.ROOT, "p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f",
                h.getValueAtPercentile(50) / scale, h.getValueAtPercentile(90) / scale,
                h.getValueAtPercentile(99) / scale, h.getValueAtPercentile(99.9) / scale, h.getMaxValue() / scale);
    }
}
