package io.courier.protocol;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/**
 * The mutator of the hand-written fuzzers: turns valid inputs into nearly valid ones, the kind that reach deep into a
 * parser (a flipped bit, a cut, a length field that lies, two inputs spliced) and, now and then, plain random bytes.
 * Seed and count come from {@code -Dfuzz.seed} and {@code -Dfuzz.count}, fixed by default so CI runs are repeatable.
 */
final class Fuzz {

    static final long DEFAULT_SEED = 0x15_15_15_15L;
    static final int DEFAULT_COUNT = 1_000_000;

    /** Values a length or count field is most likely to be mishandled at. */
    private static final int[] EDGES = {0, 1, 2, 3, 4, 5, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE};

    private final Random random;

    Fuzz(Random random) {
        this.random = random;
    }

    static long seed() {
        return Long.getLong("fuzz.seed", DEFAULT_SEED);
    }

    static int count() {
        return Integer.getInteger("fuzz.count", DEFAULT_COUNT);
    }

    /** For assertion messages: how to rerun exactly this input. */
    static String reproduce(long seed, int input, byte[] bytes) {
        String shown = bytes.length <= 256 ? HexFormat.of().formatHex(bytes)
                : HexFormat.of().formatHex(bytes, 0, 256) + "... (" + bytes.length + " bytes)";
        return "fuzz.seed=" + seed + " input #" + input + " (rerun: -Dfuzz.seed=" + seed + " -Dfuzz.count="
                + (input + 1) + "): " + shown;
    }

    /**
     * A mutant of {@code valid}; {@code other} is a second valid input to splice with. {@code lengthAt} is where a
     * 32-bit length field sits in the input (-1 when none), so that some mutants change it on purpose.
     */
    byte[] mutate(byte[] valid, byte[] other, int lengthAt) {
        byte[] b = valid;
        int rounds = 1 + (random.nextInt(4) == 0 ? random.nextInt(4) : 0);
        for (int r = 0; r < rounds; r++) {
            b = mutateOnce(b, other, lengthAt);
        }
        return b;
    }

    private byte[] mutateOnce(byte[] b, byte[] other, int lengthAt) {
        switch (random.nextInt(11)) {
            case 0: { // flip 1 to 8 bits
                byte[] m = b.clone();
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips && m.length > 0; i++) {
                    m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                }
                return m;
            }
            case 1: { // one byte to an interesting value
                byte[] m = b.clone();
                if (m.length > 0) {
                    m[random.nextInt(m.length)] = (byte) new int[] {0, 1, 0x7F, 0x80, 0xFF}[random.nextInt(5)];
                }
                return m;
            }
            case 2: // truncate
                return Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length));
            case 3: { // extend with random bytes
                byte[] m = Arrays.copyOf(b, b.length + 1 + random.nextInt(16));
                for (int i = b.length; i < m.length; i++) {
                    m[i] = (byte) random.nextInt(256);
                }
                return m;
            }
            case 4: // the 32-bit length field lies
                if (b.length < 4) {
                    return b;
                }
                return lengthAt >= 0 && b.length >= lengthAt + 4 ? putInt(b.clone(), lengthAt, lie(b.length - lengthAt - 4))
                        : putInt(b.clone(), random.nextInt(b.length - 3), edge());
            case 5: { // a 16-bit string, count or port field anywhere lies
                byte[] m = b.clone();
                if (m.length >= 2) {
                    int at = random.nextInt(m.length - 1);
                    int v = random.nextBoolean() ? edge() : random.nextInt(0x10000);
                    m[at] = (byte) (v >>> 8);
                    m[at + 1] = (byte) v;
                }
                return m;
            }
            case 6: { // a 32-bit field anywhere lies (payload length, sid, heartbeat)
                return b.length >= 4 ? putInt(b.clone(), random.nextInt(b.length - 3), edge()) : b;
            }
            case 7: { // splice: a prefix of this one, a suffix of the other
                int cut = b.length == 0 ? 0 : random.nextInt(b.length + 1);
                int from = other.length == 0 ? 0 : random.nextInt(other.length + 1);
                byte[] m = Arrays.copyOf(b, cut + other.length - from);
                System.arraycopy(other, from, m, cut, other.length - from);
                return m;
            }
            case 8: { // delete or duplicate a range
                if (b.length < 2) {
                    return b;
                }
                int at = random.nextInt(b.length);
                int n = 1 + random.nextInt(Math.min(16, b.length - at));
                if (random.nextBoolean()) {
                    byte[] m = new byte[b.length - n];
                    System.arraycopy(b, 0, m, 0, at);
                    System.arraycopy(b, at + n, m, at, b.length - at - n);
                    return m;
                }
                byte[] m = new byte[b.length + n];
                System.arraycopy(b, 0, m, 0, at + n);
                System.arraycopy(b, at, m, at + n, b.length - at);
                return m;
            }
            case 9: { // overwrite a range with random bytes
                byte[] m = b.clone();
                if (m.length > 0) {
                    int at = random.nextInt(m.length);
                    int n = 1 + random.nextInt(Math.min(32, m.length - at));
                    for (int i = at; i < at + n; i++) {
                        m[i] = (byte) random.nextInt(256);
                    }
                }
                return m;
            }
            default:
                return randomBytes();
        }
    }

    /** Random bytes, mostly short; sometimes starting with a plausible small length field. */
    byte[] randomBytes() {
        byte[] m = new byte[random.nextInt(random.nextInt(8) == 0 ? 2048 : 48)];
        random.nextBytes(m);
        if (m.length >= 5 && random.nextBoolean()) {
            putInt(m, 0, random.nextInt(m.length * 2));
        }
        return m;
    }

    /** A value for a length field that should be {@code truth}: off by one, zero, huge, or random. */
    private int lie(int truth) {
        return switch (random.nextInt(6)) {
            case 0 -> truth - 1;
            case 1 -> truth + 1;
            case 2 -> truth + 1 + random.nextInt(1000);
            case 3 -> Math.max(0, truth - 1 - random.nextInt(Math.max(1, truth)));
            case 4 -> edge();
            default -> random.nextInt();
        };
    }

    private int edge() {
        return EDGES[random.nextInt(EDGES.length)];
    }

    /** Chunk sizes that add up to {@code total}: sometimes one byte at a time, sometimes a few large pieces. */
    int[] chunks(int total) {
        int max = switch (random.nextInt(4)) {
            case 0 -> 1;
            case 1 -> 4;
            case 2 -> 32;
            default -> Math.max(1, total);
        };
        int[] sizes = new int[Math.max(1, total)];
        int n = 0;
        for (int left = total; left > 0; ) {
            int size = 1 + random.nextInt(Math.min(max, left));
            sizes[n++] = size;
            left -= size;
        }
        return Arrays.copyOf(sizes, n);
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
        return b;
    }
}
