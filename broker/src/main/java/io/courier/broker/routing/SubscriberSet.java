package io.courier.broker.routing;

import java.util.Arrays;
import java.util.Set;

/**
 * The subscriptions of one trie node (or of one queue group at a node): read on every publish without a lock, changed
 * by the index's single writer. Stored in chunks of {@value #CHUNK}, copy-on-write per chunk: a change copies the
 * chunk it touches and the (short) array of chunks, never the whole set: N subscribes to one pattern cost O(N) in
 * all (an add writes in place, past what any reader looks at) instead of the O(N^2) of one copy-on-write array. A
 * removed subscription's place is taken by the last one (each subscription knows its {@link Subscription#slot}), so
 * a removal copies at most two chunks and the array of chunks.
 * Readers take a {@link Snapshot}, a consistent view that later changes never alter.
 */
final class SubscriberSet {

    static final int CHUNK = 256;
    private static final Snapshot EMPTY = new Snapshot(new Subscription[0][], 0);

    /** The subscriptions at one moment: {@code size} of them, in full chunks and a last partial one. */
    static final class Snapshot {
        private final Subscription[][] chunks;
        final int size;

        private Snapshot(Subscription[][] chunks, int size) {
            this.chunks = chunks;
            this.size = size;
        }

        Subscription get(int i) {
            return chunks[i / CHUNK][i % CHUNK];
        }
    }

    private volatile Snapshot snapshot = EMPTY;

    Snapshot snapshot() {
        return snapshot;
    }

    int size() {
        return snapshot.size;
    }

    /**
     * Adds {@code s}. Writer only. The new element goes beyond the size of every snapshot published so far, where no
     * reader looks, so it is written in place; only a new or grown chunk is a copy.
     */
    void add(Subscription s) {
        Snapshot now = snapshot;
        int size = now.size;
        int chunk = size / CHUNK;
        int at = size % CHUNK;
        Subscription[][] chunks = now.chunks;
        if (chunk == chunks.length) {
            chunks = Arrays.copyOf(chunks, chunk + 1);
            chunks[chunk] = new Subscription[chunk == 0 ? 4 : CHUNK];
        } else if (at == chunks[chunk].length) {
            chunks = chunks.clone();
            chunks[chunk] = Arrays.copyOf(chunks[chunk], Math.min(CHUNK, at * 2));
        }
        chunks[chunk][at] = s;
        s.slot = size;
        snapshot = new Snapshot(chunks, size + 1);
    }

    /** Removes {@code s}; false when it is not in this set. Writer only. */
    boolean remove(Subscription s) {
        Snapshot now = snapshot;
        int slot = s.slot;
        if (slot < 0 || slot >= now.size || now.get(slot) != s) {
            return false;
        }
        int lastSlot = now.size - 1;
        if (lastSlot == 0) {
            snapshot = EMPTY;
            s.slot = -1;
            return true;
        }
        Subscription moved = now.get(lastSlot);
        int lastChunk = lastSlot / CHUNK;
        Subscription[][] chunks = Arrays.copyOf(now.chunks, lastSlot % CHUNK == 0 ? lastChunk : lastChunk + 1);
        if (lastSlot % CHUNK != 0) {
            Subscription[] shrunk = now.chunks[lastChunk].clone();
            shrunk[lastSlot % CHUNK] = null;
            chunks[lastChunk] = shrunk;
        }
        if (moved != s) {
            int chunk = slot / CHUNK;
            Subscription[] changed = chunks[chunk] == now.chunks[chunk] ? now.chunks[chunk].clone() : chunks[chunk];
            changed[slot % CHUNK] = moved;
            chunks[chunk] = changed;
            moved.slot = slot;
        }
        s.slot = -1;
        snapshot = new Snapshot(chunks, lastSlot);
        return true;
    }

    /**
     * Removes every subscription in {@code gone} that is in this set, with one copy of the survivors however many
     * go (a closing connection's subscriptions leave together). Returns how many were removed. Writer only.
     */
    int removeAll(Set<Subscription> gone) {
        Snapshot now = snapshot;
        int kept = 0;
        Subscription[][] chunks = new Subscription[(now.size + CHUNK - 1) / CHUNK][];
        for (int i = 0; i < now.size; i++) {
            Subscription s = now.get(i);
            if (gone.contains(s) && s.slot == i) {
                s.slot = -1;
                continue;
            }
            int chunk = kept / CHUNK;
            if (chunks[chunk] == null) {
                chunks[chunk] = new Subscription[CHUNK];
            }
            chunks[chunk][kept % CHUNK] = s;
            s.slot = kept++;
        }
        int removed = now.size - kept;
        if (removed > 0) {
            snapshot = kept == 0 ? EMPTY : new Snapshot(Arrays.copyOf(chunks, (kept + CHUNK - 1) / CHUNK), kept);
        }
        return removed;
    }
}
