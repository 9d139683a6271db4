package io.courier.broker.session;

import java.util.Arrays;

/**
 * The topics a connection published to recently, found by their bytes in the received frame. A publisher usually
 * sends many messages to few topics: a hit gives the topic's string without decoding it (and the match cache in the
 * index then finds the string's hash already computed), and only valid topics are remembered, so a hit also needs
 * no validation. Direct-mapped: a new topic simply replaces the one in its slot.
 *
 * <p>One per session, used by one thread at a time; the arrays are made at the first publish, so connections that
 * only subscribe pay nothing.
 */
final class TopicCache {

    /** Slots; a power of two. */
    private static final int SLOTS = 256;
    /**
     * Longest topic remembered, in bytes: a cache of long topics (up to 3 KiB each) would let one connection make
     * the broker hold most of a megabyte; long topics are rare and are decoded each time instead.
     */
    static final int MAX_TOPIC_BYTES = 256;

    private byte[][] keys;
    private String[] topics;
    /** The slot of the last topic found or remembered: a publisher often sends to one topic many times in a row. */
    private int lastSlot;

    /** The remembered topic whose UTF-8 bytes are {@code data[offset, offset + length)}, or null. */
    String find(byte[] data, int offset, int length) {
        if (keys == null) {
            return null;
        }
        if (holds(lastSlot, data, offset, length)) {
            return topics[lastSlot];
        }
        int slot = slot(data, offset, length);
        if (!holds(slot, data, offset, length)) {
            return null;
        }
        lastSlot = slot;
        return topics[slot];
    }

    /** Remembers a valid topic and its bytes, {@code data[offset, offset + length)}. */
    void remember(byte[] data, int offset, int length, String topic) {
        if (length > MAX_TOPIC_BYTES) {
            return;
        }
        if (keys == null) {
            keys = new byte[SLOTS][];
            topics = new String[SLOTS];
        }
        byte[] key = Arrays.copyOfRange(data, offset, offset + length);
        int slot = slot(data, offset, length);
        keys[slot] = key;
        topics[slot] = topic;
        lastSlot = slot;
    }

    /** Forgets every topic (the permissions they were checked against changed). */
    void clear() {
        if (keys != null) {
            Arrays.fill(keys, null);
            Arrays.fill(topics, null);
        }
    }

    private boolean holds(int slot, byte[] data, int offset, int length) {
        byte[] key = keys[slot];
        return key != null && Arrays.equals(key, 0, key.length, data, offset, offset + length);
    }

    private static int slot(byte[] data, int offset, int length) {
        int h = 0;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + data[i];
        }
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
