package io.courier.bench.hardening;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a scenario prints: lines for people as they happen ({@code [scenario] ...}) and, at the end, one line of
 * figures, {@code scenario=NAME variant=V key=value ...}, with no spaces inside values, for scripts to collect.
 */
final class Figures {

    private final String scenario;
    private final StringBuilder line = new StringBuilder();

    Figures(String scenario, String variant) {
        this.scenario = scenario;
        line.append("scenario=").append(scenario).append(" variant=").append(variant);
    }

    Figures put(String key, Object value) {
        String text;
        if (value instanceof Double d) {
            text = String.format(Locale.ROOT, "%.3f", d);
        } else {
            text = String.valueOf(value);
        }
        line.append(' ').append(key).append('=').append(text.isEmpty() ? "none" : text.replace(' ', '_'));
        return this;
    }

    /** A line for people, printed now. */
    void say(String text) {
        System.out.println("[" + scenario + "] " + text);
        System.out.flush();
    }

    void print() {
        System.out.println(line);
        System.out.flush();
    }

    /** Seconds from {@code startNanos} to {@code nanos}. */
    static double seconds(long startNanos, long nanos) {
        return (nanos - startNanos) / 1e9;
    }

    /** "A:3,B:1", most frequent first; "none" when empty. */
    static String tally(Collection<String> items) {
        if (items.isEmpty()) {
            return "none";
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (String s : items) {
            counts.merge(s, 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        counts.entrySet().stream().sorted((a, c) -> c.getValue() - a.getValue()).forEach(e -> {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(e.getKey()).append(':').append(e.getValue());
        });
        return b.toString();
    }
}
