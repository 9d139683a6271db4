package io.courier.bench;

import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;

/** Small inline SVG charts, so the comparison page needs no script or library to open. */
final class Charts {

    private static final int WIDTH = 520;
    private static final int HEIGHT = 300;
    private static final int LEFT = 60;
    private static final int BOTTOM = 40;
    private static final int TOP = 30;
    /** Percentiles plotted on the x axis, spaced by log10(1 / (1 - p)) as HdrHistogram's own plots do. */
    private static final double[] TICKS = {0, 90, 99, 99.9, 99.99};
    private static final double MAX_NINES = 4;

    private Charts() {
    }

    /** Latency (microseconds) by percentile, one line per system. */
    static String percentiles(String title, Map<String, Histogram> bySystem, Map<String, String> colours) {
        double maxMicros = 1;
        for (Histogram h : bySystem.values()) {
            maxMicros = Math.max(maxMicros, h.getValueAtPercentile(99.99) / 1000.0);
        }
        maxMicros = niceCeiling(maxMicros);
        StringBuilder sb = open(title);
        for (double tick : TICKS) {
            double x = x(tick);
            sb.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>"
                    + "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s%%</text>",
                    x, TOP, x, HEIGHT - BOTTOM, x, HEIGHT - BOTTOM + 15, trim(tick)));
        }
        yAxis(sb, maxMicros, "us");
        int legend = 0;
        for (Map.Entry<String, Histogram> e : bySystem.entrySet()) {
            StringBuilder points = new StringBuilder();
            for (int i = 0; i <= 200; i++) {
                double nines = MAX_NINES * i / 200.0;
                double percentile = 100.0 * (1 - Math.pow(10, -nines));
                double micros = e.getValue().getValueAtPercentile(percentile) / 1000.0;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(percentile), y(micros, maxMicros)));
            }
            String colour = colours.getOrDefault(e.getKey(), "#000");
            sb.append("<polyline fill='none' stroke-width='2' stroke='").append(colour).append("' points='")
                    .append(points).append("'/>");
            sb.append(legend(e.getKey(), colour, legend++));
        }
        return sb.append("</svg>").toString();
    }

    /** One bar per system. */
    static String bars(String title, Map<String, Double> values, Map<String, String> colours) {
        double max = 1;
        for (double v : values.values()) {
            max = Math.max(max, v);
        }
        max = niceCeiling(max * 1.1);       // room for the value written above the tallest bar
        StringBuilder sb = open(title);
        yAxis(sb, max, "");
        int n = values.size();
        double slot = (WIDTH - LEFT - 20) / (double) Math.max(1, n);
        int i = 0;
        for (Map.Entry<String, Double> e : values.entrySet()) {
            double x = LEFT + i * slot + slot * 0.2;
            double y = y(e.getValue(), max);
            sb.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>"
                    + "<text x='%.1f' y='%d' font-size='12' text-anchor='middle'>%s</text>"
                    + "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%s</text>",
                    x, y, slot * 0.6, HEIGHT - BOTTOM - y, colours.getOrDefault(e.getKey(), "#000"),
                    x + slot * 0.3, HEIGHT - BOTTOM + 15, e.getKey(), x + slot * 0.3, y - 4,
                    ComparisonReport.figure(e.getValue())));
            i++;
        }
        return sb.append("</svg>").toString();
    }

    private static StringBuilder open(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d'>"
                + "<text x='%d' y='18' font-size='12' font-weight='bold'>%s</text>", WIDTH, HEIGHT, 8,
                ComparisonReport.escape(title)));
        sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#000'/>"
                + "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#000'/>", LEFT, HEIGHT - BOTTOM, WIDTH - 10,
                HEIGHT - BOTTOM, LEFT, TOP, LEFT, HEIGHT - BOTTOM));
        return sb;
    }

    private static void yAxis(StringBuilder sb, double max, String unit) {
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            double y = y(v, max);
            sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>"
                    + "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%s%s</text>", LEFT, y, WIDTH - 10, y,
                    LEFT - 4, y + 4, ComparisonReport.figure(v), unit.isEmpty() ? "" : " " + unit));
        }
    }

    private static String legend(String system, String colour, int index) {
        int y = TOP + 12 + index * 16;
        return String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='3'/>"
                + "<text x='%d' y='%d' font-size='12'>%s</text>", LEFT + 12, y - 4, LEFT + 32, y - 4, colour,
                LEFT + 38, y, system);
    }

    private static double x(double percentile) {
        double nines = percentile >= 100 ? MAX_NINES : Math.min(MAX_NINES, -Math.log10(1 - percentile / 100.0));
        return LEFT + (WIDTH - LEFT - 20) * nines / MAX_NINES;
    }

    private static double y(double value, double max) {
        return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * Math.min(1, value / max);
    }

    private static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (v <= step * magnitude) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String trim(double tick) {
        return tick == Math.rint(tick) ? String.valueOf((long) tick) : String.valueOf(tick);
    }
}
