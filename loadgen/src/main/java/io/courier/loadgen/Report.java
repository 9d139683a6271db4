package io.courier.loadgen;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Formats benchmark results for people. */
public final class Report {

    private Report() {
    }

    private static String pacing(PubSubBench.Settings s) {
        return s.rate() == 0 ? "" : String.format(Locale.ROOT, ", paced at %,d msgs/s", s.rate());
    }

    public static String pubSub(PubSubBench.Result r) {
        PubSubBench.Settings s = r.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "pubsub: %d publisher(s) -> %d subscriber(s), %,d messages of %d B%s%n",
                s.publishers(), s.subscribers(), r.planned(), s.size(), pacing(s)));
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

    /** Two pub/sub runs against the same broker, TCP then UDP, in two columns, with UDP's figure over TCP's. */
    public static String pubSubSideBySide(PubSubBench.Result tcp, PubSubBench.Result udp) {
        PubSubBench.Settings s = tcp.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "pubsub, TCP then UDP: %d publisher(s) -> %d subscriber(s), %,d messages "
                + "of %d B%s%n", s.publishers(), s.subscribers(), tcp.planned(), s.size(), s.rate() == 0
                ? ", as fast as each client takes them" : pacing(s)));
        sb.append(String.format(Locale.ROOT, "  %-38s %16s %16s %9s%n", "", "TCP", "UDP", "UDP/TCP"));
        row(sb, "sent (msgs/s)", tcp.publishedPerSecond(), udp.publishedPerSecond(), "%,.0f");
        row(sb, "received (msgs/s)", tcp.deliveredPerSecond(), udp.deliveredPerSecond(), "%,.0f");
        row(sb, "sent", tcp.published(), udp.published(), "%,.0f");
        row(sb, "received", tcp.delivered(), udp.delivered(), "%,.0f");
        sb.append(String.format(Locale.ROOT, "  %-38s %16s %16s%n", "lost (sent, not received)",
                String.format(Locale.ROOT, "%,d", tcp.missing()), String.format(Locale.ROOT, "%,d (%.2f%%)",
                        udp.missing(), udp.expected() == 0 ? 0 : udp.missing() * 100.0 / udp.expected())));
        row(sb, "one-way latency p50 (us)", tcp.latency().getValueAtPercentile(50),
                udp.latency().getValueAtPercentile(50), "%,.0f");
        row(sb, "one-way latency p99 (us)", tcp.latency().getValueAtPercentile(99),
                udp.latency().getValueAtPercentile(99), "%,.0f");
        row(sb, "seconds (first send to last arrival)", tcp.seconds(), udp.seconds(), "%.3f");
        if (tcp.generatorCpuNanos() >= 0) {
            row(sb, "load generator CPU (% of a core)", tcp.generatorCpuPercent(), udp.generatorCpuPercent(), "%.0f");
        }
        if (tcp.brokerCpuNanos() >= 0) {
            row(sb, "broker CPU (% of a core)", tcp.brokerCpuPercent(), udp.brokerCpuPercent(), "%.0f");
        }
        sb.append("  latency under full load is queueing time; UDP's counts only the messages that arrived\n");
        return sb.toString();
    }

    /** Two one-way latency runs against the same broker, TCP then UDP, in two columns. */
    public static String oneWaySideBySide(OneWayBench.Result tcp, OneWayBench.Result udp) {
        OneWayBench.Settings s = tcp.settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "latency, TCP then UDP: one-way publish -> subscriber, %,d messages of "
                + "%d B after %,d unmeasured, %s%n", s.messages(), s.size(), s.warmup(), s.rate() == 0
                ? "each sent when the previous arrived (or after " + s.lossWait().toMillis() + " ms if lost)"
                : s.rate() + "/s fixed rate, timed from when each was due"));
        sb.append(String.format(Locale.ROOT, "  %-38s %16s %16s %9s%n", "", "TCP", "UDP", "UDP/TCP"));
        row(sb, "sent (msgs/s)", tcp.sentPerSecond(), udp.sentPerSecond(), "%,.0f");
        row(sb, "received", tcp.received(), udp.received(), "%,.0f");
        sb.append(String.format(Locale.ROOT, "  %-38s %16s %16s%n", "lost", String.format(Locale.ROOT, "%,d",
                tcp.lost()), String.format(Locale.ROOT, "%,d", udp.lost())));
        for (double pct : new double[] {50, 90, 99, 99.9}) {
            row(sb, "one-way latency p" + (pct == Math.rint(pct) ? String.valueOf((int) pct) : String.valueOf(pct))
                    + " (us)", tcp.nanos().getValueAtPercentile(pct) / 1000.0,
                    udp.nanos().getValueAtPercentile(pct) / 1000.0, "%,.1f");
        }
        row(sb, "one-way latency max (us)", tcp.nanos().getMaxValue() / 1000.0, udp.nanos().getMaxValue() / 1000.0,
                "%,.1f");
        return sb.toString();
    }

    /** Game workload runs, one column per transport in the order run; with both, UDP's latency over TCP's. */
    public static String game(List<GameBench.Result> runs) {
        GameBench.Settings s = runs.get(0).settings();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "game: %,d players, each its own connection, in %,d regions of %d "
                        + "(player p in region p/%d), each publishing %d B to game.region.<r>.pos %d times a second "
                        + "and subscribed to its region (no echo); %d generator threads; measured %.0f s after %.0f s "
                        + "warm-up%n", s.players(), s.regions(), s.regionSize(), s.regionSize(), s.size(), s.rate(),
                s.threads(), s.duration().toMillis() / 1000.0, s.warmup().toMillis() / 1000.0));
        sb.append(String.format(Locale.ROOT, "  %-34s", ""));
        for (GameBench.Result r : runs) {
            sb.append(String.format(Locale.ROOT, " %16s", r.transport().toUpperCase(Locale.ROOT)));
        }
        sb.append('\n');
        gameRow(sb, runs, "updates published (/s)", r -> String.format(Locale.ROOT, "%,.0f", r.publishedPerSecond()));
        gameRow(sb, runs, "deliveries due", r -> String.format(Locale.ROOT, "%,d", r.due()));
        gameRow(sb, runs, "deliveries received", r -> String.format(Locale.ROOT, "%,d", r.delivered()));
        gameRow(sb, runs, "last one arrived after window (s)", r -> String.format(Locale.ROOT, "%.3f",
                r.catchUpSeconds()));
        gameRow(sb, runs, "updates lost", r -> String.format(Locale.ROOT, "%,d", r.lost()));
        gameRow(sb, runs, "updates lost (%)", r -> String.format(Locale.ROOT, "%.3f", r.lostPercent()));
        for (double pct : new double[] {50, 99, 99.9}) {
            gameRow(sb, runs, "delivery latency p" + (pct == 99.9 ? "99.9" : String.valueOf((int) pct)) + " (us)",
                    r -> r.micros().getTotalCount() == 0 ? "-"
                            : String.format(Locale.ROOT, "%,d", r.micros().getValueAtPercentile(pct)));
        }
        gameRow(sb, runs, "delivery latency max (us)", r -> r.micros().getTotalCount() == 0 ? "-"
                : String.format(Locale.ROOT, "%,d", r.micros().getMaxValue()));
        gameRow(sb, runs, "broker CPU (% of a core)", r -> r.brokerCpuNanos() < 0 ? "not read"
                : String.format(Locale.ROOT, "%.0f", r.brokerCpuPercent()));
        gameRow(sb, runs, "load generator CPU (% of a core)", r -> r.generatorCpuNanos() < 0 ? "not read"
                : String.format(Locale.ROOT, "%.0f", r.generatorCpuPercent()));
        gameRow(sb, runs, "sends > 1 tick behind schedule", r -> String.format(Locale.ROOT, "%,d", r.lateSends()));
        gameRow(sb, runs, "client UDP gaps seen", r -> r.udp() == null ? "-"
                : String.format(Locale.ROOT, "%,d", r.udp().gaps()));
        gameRow(sb, runs, "client UDP not sent", r -> r.udp() == null ? "-"
                : String.format(Locale.ROOT, "%,d", r.udp().notSent()));
        gameRow(sb, runs, "connect + subscribe all (s)", r -> String.format(Locale.ROOT, "%.1f", r.connectSeconds()));
        if (runs.size() == 2 && runs.get(0).micros().getTotalCount() > 0 && runs.get(1).micros().getTotalCount() > 0) {
            // As UDP over TCP whichever ran first.
            boolean udpFirst = runs.get(0).transport().equals("udp");
            GameBench.Result a = runs.get(udpFirst ? 1 : 0);
            GameBench.Result b = runs.get(udpFirst ? 0 : 1);
            sb.append(String.format(Locale.ROOT, "  %s/%s latency: p50 %.2f  p99 %.2f  p99.9 %.2f%n",
                    b.transport().toUpperCase(Locale.ROOT), a.transport().toUpperCase(Locale.ROOT),
                    b.micros().getValueAtPercentile(50) / (double) Math.max(1, a.micros().getValueAtPercentile(50)),
                    b.micros().getValueAtPercentile(99) / (double) Math.max(1, a.micros().getValueAtPercentile(99)),
                    b.micros().getValueAtPercentile(99.9)
                            / (double) Math.max(1, a.micros().getValueAtPercentile(99.9))));
        }
        for (GameBench.Result r : runs) {
            // A generator that fell behind makes its own queueing look like the broker's latency: say so.
            if (r.catchUpSeconds() > 1 || r.lateSends() > 0) {
                sb.append(String.format(Locale.ROOT, "  note: over %s the load generator fell behind (%,d sends "
                                + "late, the last update %.1f s after the window): those latency rows measure this "
                                + "JVM as much as the broker; fewer --players, or the players on other machines%n",
                        r.transport().toUpperCase(Locale.ROOT), r.lateSends(), r.catchUpSeconds()));
            }
        }
        return sb.toString();
    }

    private static void gameRow(StringBuilder sb, List<GameBench.Result> runs, String label,
                                Function<GameBench.Result, String> cell) {
        sb.append(String.format(Locale.ROOT, "  %-34s", label));
        for (GameBench.Result r : runs) {
            sb.append(String.format(Locale.ROOT, " %16s", cell.apply(r)));
        }
        sb.append('\n');
    }

    private static void row(StringBuilder sb, String label, double tcp, double udp, String format) {
        sb.append(String.format(Locale.ROOT, "  %-38s %16s %16s %9s%n", label, String.format(Locale.ROOT, format, tcp),
                String.format(Locale.ROOT, format, udp), tcp == 0 ? "-" : String.format(Locale.ROOT, "%.2f",
                        udp / tcp)));
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
