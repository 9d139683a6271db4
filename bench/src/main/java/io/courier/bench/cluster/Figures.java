package io.courier.bench.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cluster benchmark's figures: one tab-separated line each, {@code system setup figure value unit better}, appended
 * by every run to one results file, and read back into the Courier | NATS | Courier/NATS table. {@code better} is
 * {@code higher}, {@code lower} or {@code none} (a count to read, no ratio).
 */
final class Figures {

    record Figure(String system, String setup, String name, double value, String unit, String better) {
        String row() {
            return setup + ": " + name + " (" + unit + ")";
        }
    }

    private final Path file;
    private final String system;
    private final String setup;

    Figures(Path file, String system, String setup) {
        this.file = file;
        this.system = system;
        this.setup = setup;
    }

    void add(String name, double value, String unit, String better) {
        String line = String.join("\t", system, setup, name, String.format(Locale.ROOT, "%.3f", value), unit, better);
        System.out.printf(Locale.ROOT, "  %-60s %s %s%n", setup + ": " + name, format(value, unit), unit);
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static List<Figure> read(Path file) throws IOException {
        List<Figure> all = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            all.add(new Figure(f[0], f[1], f[2], Double.parseDouble(f[3]), f[4], f[5]));
        }
        return all;
    }

    /** Whole numbers as they are; fractions with as many decimals as the unit needs (no rounding to look better). */
    static String format(double v, String unit) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (unit.equals("ms") || unit.equals("%") || unit.equals("s")) {
            return String.format(Locale.ROOT, "%,.1f", v);
        }
        if (v == Math.rint(v) || Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, "%,.2f", v);
    }

    /** The table: one row per setup and figure, in the order first seen, Courier | NATS | Courier/NATS. */
    static String markdown(List<Figure> all) {
        Map<String, Map<String, Figure>> rows = new LinkedHashMap<>();
        for (Figure f : all) {
            rows.computeIfAbsent(f.row(), k -> new LinkedHashMap<>()).put(f.system(), f);
        }
        StringBuilder out = new StringBuilder("| figure | Courier | NATS | Courier/NATS |\n|---|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Figure>> e : rows.entrySet()) {
            Figure c = e.getValue().get("courier");
            Figure n = e.getValue().get("nats");
            Figure any = c != null ? c : n;
            String ratio = "-";
            if (c != null && n != null && !any.better().equals("none") && n.value() != 0
                    && !Double.isNaN(c.value()) && !Double.isNaN(n.value())) {
                ratio = String.format(Locale.ROOT, "%.2f", c.value() / n.value());
            }
            out.append("| ").append(e.getKey()).append(" | ")
                    .append(c == null ? "-" : format(c.value(), c.unit())).append(" | ")
                    .append(n == null ? "-" : format(n.value(), n.unit())).append(" | ")
                    .append(ratio).append(" |\n");
        }
        return out.toString();
    }
}
