package io.courier.bench;

import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Locale;

/**
 * One figure from one system in one scenario, as written to a results file (one tab-separated line each) and read
 * back by the {@link ComparisonReport}. A latency figure carries its whole distribution, so the report can plot it.
 */
public record Measurement(String system, String scenario, String metric, double value, String unit,
                          Better better, String detail, Histogram distribution) {

    /**
     * Which way the figure is good, stored as {@code higher}, {@code lower} or {@code none}. A {@link #NONE} figure
     * is a count to read, not a score (messages published, missing, CPU used): the report shows no ratio for it.
     */
    public enum Better {
        HIGHER, LOWER, NONE;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Better of(String word) {
            return valueOf(word.toUpperCase(Locale.ROOT));
        }
    }

    public Measurement {
        java.util.Objects.requireNonNull(better, "better");
        for (String field : new String[] {system, scenario, metric, unit, detail}) {
            if (field.indexOf('\t') >= 0 || field.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("tabs and newlines cannot be stored: " + field);
            }
        }
    }

    /** The row this figure belongs to in the comparison table. */
    public String row() {
        return scenario + ": " + metric + " (" + unit + ")";
    }

    public String toLine() {
        return String.join("\t", system, scenario, metric, String.format(Locale.ROOT, "%.3f", value), unit,
                better.word(), detail.isEmpty() ? "-" : detail, encode(distribution));
    }

    public static Measurement parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 8) {
            throw new IllegalArgumentException("expected 8 tab-separated fields, got " + f.length + ": " + line);
        }
        return new Measurement(f[0], f[1], f[2], Double.parseDouble(f[3]), f[4], Better.of(f[5]),
                f[6].equals("-") ? "" : f[6], decode(f[7]));
    }

    private static String encode(Histogram h) {
        if (h == null) {
            return "-";
        }
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
    }

    private static Histogram decode(String field) {
        if (field.equals("-")) {
            return null;
        }
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(field)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("corrupt latency distribution", e);
        }
    }
}
