package io.courier.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random but valid frames for the property tests. Everything comes from one seeded {@link Random}, so a failing run
 * is reproduced by its seed (see {@link #seed}).
 */
final class RandomFrames {

    /** Largest payload the generator makes; most payloads are far smaller. */
    static final int MAX_PAYLOAD = 64 * 1024;

    private final Random random;

    RandomFrames(Random random) {
        this.random = random;
    }

    /**
     * The seed for a property test: {@code -Dcourier.test.seed=N} reproduces a failure, otherwise a fresh one per run
     * so that every run explores new inputs.
     */
    static long seed() {
        Long fixed = Long.getLong("courier.test.seed");
        return fixed != null ? fixed : new Random().nextLong();
    }

    /** Text to put in assertion messages so a failure names the seed that reproduces it. */
    static String reproduce(long seed) {
        return "seed=" + seed + " (rerun with -Dcourier.test.seed=" + seed + ")";
    }

    Random random() {
        return random;
    }

    Frame any() {
        FrameType[] types = FrameType.values();
        return of(types[random.nextInt(types.length)]);
    }

    /** A random frame of {@code type}; the switch is exhaustive so a new frame type fails to compile here. */
    Frame of(FrameType type) {
        return switch (type) {
            case CONNECT -> new Connect(random.nextInt(256), string(), string(), string(), string(),
                    random.nextBoolean() ? 0 : random.nextInt(Integer.MAX_VALUE), random.nextBoolean());
            case CONNECTED -> new Connected(random.nextInt(256), string(), string(), anyInt(), anyInt(), servers());
            case PUB -> new Publish(string(), string(), headers(), payload());
            case SUB -> new Subscribe(anyInt(), string(), string(), random.nextBoolean());
            case UNSUB -> new Unsubscribe(anyInt(), maxMessages());
            case MSG -> new Message(anyInt(), string(), string(), headers(), payload());
            case PING -> Ping.INSTANCE;
            case PONG -> Pong.INSTANCE;
            case ERR -> new Err(errorCode(), string());
            case INFO -> new Info(servers());
            case ROUTE_HELLO -> new RouteHello(string(), random.nextLong());
            case ROUTE_PUB -> new RoutePublish(java.util.List.of(string(), string()).subList(0, random.nextInt(3)),
                    new Publish(string(), string(), headers(), payload()));
            case ROUTE_INTEREST -> {
                List<RouteInterest.Change> changes = new java.util.ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    changes.add(new RouteInterest.Change(string(), string(), random.nextBoolean()));
                }
                yield new RouteInterest(random.nextLong(), random.nextLong(), random.nextBoolean(),
                        random.nextBoolean(), changes);
            }
            case UDP_OPEN -> UdpOpen.INSTANCE;
            case UDP_READY -> {
                byte[] token = new byte[Datagram.TOKEN_BYTES];
                random.nextBytes(token);
                yield new UdpReady(random.nextInt(65536), random.nextInt(65536), token);
            }
            case UDP_BOUND -> new UdpBound(string());
            case LAST -> new Last(anyInt());
            case RESYNC -> new Resync(new Message(anyInt(), string(), string(), headers(), payload()));
        };
    }

    ErrorCode errorCode() {
        ErrorCode[] codes = ErrorCode.values();
        return codes[random.nextInt(codes.length)];
    }

    /** Any int, with the edges (0, -1, min, max) more often than chance would pick them. */
    int anyInt() {
        switch (random.nextInt(8)) {
            case 0:
                return 0;
            case 1:
                return -1;
            case 2:
                return Integer.MIN_VALUE;
            case 3:
                return Integer.MAX_VALUE;
            default:
                return random.nextInt();
        }
    }

    long maxMessages() {
        switch (random.nextInt(6)) {
            case 0:
                return 0;
            case 1:
                return 0xFFFF_FFFFL;
            case 2:
                return 0x8000_0000L;
            default:
                return random.nextLong() & 0xFFFF_FFFFL;
        }
    }

    List<String> servers() {
        int n = random.nextInt(4);
        List<String> servers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            servers.add(string());
        }
        return servers;
    }

    /** Ordered headers with distinct keys; empty about a third of the time. */
    Map<String, String> headers() {
        int n = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(6);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            headers.put(string(), string());
        }
        return headers;
    }

    byte[] payload() {
        int pick = random.nextInt(100);
        int length;
        if (pick < 10) {
            length = 0;
        } else if (pick < 97) {
            length = random.nextInt(256);
        } else {
            length = random.nextInt(MAX_PAYLOAD + 1);
        }
        byte[] payload = new byte[length];
        random.nextBytes(payload);
        return payload;
    }

    /**
     * A valid Unicode string (no lone surrogates, which UTF-8 cannot carry): empty, ASCII, Latin-1, other BMP
     * characters or emoji, mostly short.
     */
    String string() {
        int pick = random.nextInt(10);
        if (pick == 0) {
            return "";
        }
        int codePoints = pick == 9 ? random.nextInt(2000) : random.nextInt(24);
        StringBuilder sb = new StringBuilder(codePoints * 2);
        int alphabet = random.nextInt(4);
        for (int i = 0; i < codePoints; i++) {
            sb.appendCodePoint(codePoint(alphabet == 3 ? random.nextInt(3) : alphabet));
        }
        return sb.toString();
    }

    private int codePoint(int alphabet) {
        switch (alphabet) {
            case 0:
                return random.nextInt(0x80);
            case 1:
                return random.nextInt(0x800);
            default:
                switch (random.nextInt(3)) {
                    case 0:
                        return 0x1F300 + random.nextInt(0x300); // emoji, 4 bytes in UTF-8
                    case 1:
                        return 0x10000 + random.nextInt(0x10FFFF - 0x10000 + 1);
                    default:
                        int c = 0x800 + random.nextInt(0xFFFE - 0x800);
                        return Character.isSurrogate((char) c) ? 0x4E2D : c;
                }
        }
    }
}
