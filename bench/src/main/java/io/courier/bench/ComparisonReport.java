package io.courier.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the measurements of Courier, NATS and Mosquitto into one table (scenario, the three figures, Courier/NATS
 * and Courier/Mosquitto), as plain text for the terminal and as Markdown, and into a self-contained HTML page whose
 * SVG charts show the latency distributions and throughputs side by side.
 */
public final class ComparisonReport {

    static final List<String> SYSTEMS = List.of("courier", "nats", "mosquitto");
    private static final Map<String, String> COLOURS = Map.of("courier", "#d62728", "nats", "#1f77b4",
            "mosquitto", "#2ca02c");

    /** One table row: the figure of each system that measured it. */
    record Row(String label, String unit, Measurement.Better better, Map<String, Measurement> bySystem) {
        Double value(String system) {
            Measurement m = bySystem.get(system);
            return m == null ? null : m.value();
        }

        /** Courier's figure over the other's; none for a count (a 0 of missing messages is no score). */
        Double ratio(String other) {
            if (better == Measurement.Better.NONE) {
                return null;
            }
            Double c = value("courier");
            Double o = value(other);
            return c == null || o == null || o == 0 ? null : c / o;
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Measurement> measurements;

    public ComparisonReport(List<Measurement> measurements) {
        this.measurements = List.copyOf(measurements);
        Map<String, Row> byLabel = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            byLabel.computeIfAbsent(m.row(), l -> new Row(l, m.unit(), m.better(), new LinkedHashMap<>()))
                    .bySystem().put(m.system(), m);
        }
        rows.addAll(byLabel.values());
    }

    List<Row> rows() {
        return rows;
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-58s %14s %14s %14s %13s %13s%n", "scenario", "Courier", "NATS",
                "Mosquitto", "Courier/NATS", "Courier/Mosq"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%-58s %14s %14s %14s %13s %13s%n", r.label(),
                    figure(r.value("courier")), figure(r.value("nats")), figure(r.value("mosquitto")),
                    ratio(r.ratio("nats")), ratio(r.ratio("mosquitto"))));
        }
        return sb.toString();
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | Courier | NATS | Mosquitto | Courier/NATS | Courier/Mosquitto |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.label()).append(" | ").append(figure(r.value("courier"))).append(" | ")
                    .append(figure(r.value("nats"))).append(" | ").append(figure(r.value("mosquitto")))
                    .append(" | ").append(ratio(r.ratio("nats"))).append(" | ")
                    .append(ratio(r.ratio("mosquitto"))).append(" |\n");
        }
        sb.append("\nRatios are Courier's figure divided by the other's: above 1 is better for rates, below 1 is "
                + "better for latencies and memory. Counts (published, delivered, missing messages) and CPU time have "
                + "no ratio. Rows named \"raw frames\" use no client library: pre-encoded frames written in large "
                + "writes, frames counted on the subscriber's side.\n");
        return sb.toString();
    }

    /** A page that opens in any browser without anything else: the table and one SVG chart per scenario. */
    public String html(String title, String context) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;"
                        + "text-align:right}td:first-child,th:first-child{text-align:left}"
                        + "svg{margin:1em 1em 0 0;border:1px solid #eee}</style></head><body>");
        sb.append("<h1>").append(escape(title)).append("</h1><pre>").append(escape(context)).append("</pre>");
        sb.append("<table><tr><th>scenario</th><th>Courier</th><th>NATS</th><th>Mosquitto</th>"
                + "<th>Courier/NATS</th><th>Courier/Mosquitto</th></tr>");
        for (Row r : rows) {
            sb.append("<tr><td>").append(escape(r.label())).append("</td>");
            for (String s : SYSTEMS) {
                sb.append("<td>").append(figure(r.value(s))).append("</td>");
            }
            sb.append("<td>").append(ratio(r.ratio("nats"))).append("</td><td>")
                    .append(ratio(r.ratio("mosquitto"))).append("</td></tr>");
        }
        sb.append("</table><h2>Latency distributions</h2>");
        Map<String, Map<String, Histogram>> distributions = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            if (m.distribution() != null) {
                distributions.computeIfAbsent(m.scenario(), s -> new LinkedHashMap<>()).put(m.system(),
                        m.distribution());
            }
        }
        distributions.forEach((scenario, bySystem) -> sb.append(Charts.percentiles(scenario, bySystem, COLOURS)));
        sb.append("<h2>Throughput</h2>");
        for (Row r : rows) {
            if (r.better() == Measurement.Better.HIGHER) {
                Map<String, Double> values = new LinkedHashMap<>();
                for (String s : SYSTEMS) {
                    if (r.value(s) != null) {
                        values.put(s, r.value(s));
                    }
                }
                sb.append(Charts.bars(r.label(), values, COLOURS));
            }
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    static String figure(Double v) {
        if (v == null) {
            return "-";
        }
        return v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }

    static String ratio(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
