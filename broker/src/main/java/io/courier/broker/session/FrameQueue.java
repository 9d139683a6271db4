package io.courier.broker.session;

import io.courier.protocol.FrameCodec;
import org.apache.pekko.util.ByteString;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Frames waiting to be written, in order, in reusable arrays: a MSG is a slot holding the subscription's sid and the
 * shared PUB body (no record or queue node per message), a control frame a slot holding the encoded frame, a
 * publish forwarded on a route a slot holding its groups and the shared body. Not
 * thread-safe: the {@link Outbox} fills one under its lock while its source writes out another, then swaps them.
 */
final class FrameQueue {

    /** Bytes of a MSG frame in front of the PUB body: length, type, sid. */
    static final int MSG_HEAD = FrameCodec.messageSize(0);

    private static final int INITIAL_CAPACITY = 16;
    /**
     * Arrays grown beyond this during a backlog are let go once a use fills less than a quarter of them, so a link
     * does not keep them after the backlog (nor drop and regrow them while it lasts).
     */
    private static final int RETAINED_CAPACITY = 16 * 1024;

    /** An encoded control frame (CONNECTED, PONG, ERR), written as it is. */
    private record Control(ByteString frame) { }

    /** A publish forwarded to another broker: the ROUTE_PUB groups field and the shared PUB body. */
    private record Routed(byte[] groups, ByteString body) { }

    private Object[] frames;
    private int[] sids;
    private int size;
    /** The next slot to write out. */
    private int head;

    static int messageSize(ByteString body) {
        return MSG_HEAD + body.size();
    }

    void addMessage(int sid, ByteString body) {
        add(sid, body);
    }

    void addControl(ByteString frame) {
        add(0, new Control(frame));
    }

    static int routedSize(byte[] groups, ByteString body) {
        return FrameCodec.routeSize(groups, body.size());
    }

    void addRouted(byte[] groups, ByteString body) {
        add(0, new Routed(groups, body));
    }

    /** Whether every frame added has been written out. */
    boolean isDrained() {
        return head == size;
    }

    /**
     * Bytes of the frames from the next one on that fit in {@code maxBytes}; always at least the next frame, and
     * 0 only when drained.
     */
    int nextBatchBytes(int maxBytes) {
        int bytes = 0;
        for (int i = head; i < size; i++) {
            int frame = sizeOf(i);
            if (bytes > 0 && bytes + frame > maxBytes) {
                break;
            }
            bytes += frame;
        }
        return bytes;
    }

    /**
     * Writes the next frames, {@code bytes} of them as counted by {@link #nextBatchBytes}, and lets them go. Returns
     * how many of them were MSG frames.
     */
    int writeBatch(ByteBuffer target, int bytes) {
        int written = 0;
        int messages = 0;
        while (written < bytes) {
            written += sizeOf(head);
            Object frame = frames[head];
            if (frame instanceof Control c) {
                c.frame().copyToBuffer(target);
            } else if (frame instanceof Routed r) {
                FrameCodec.putRouteHead(target, r.groups(), r.body().size());
                r.body().copyToBuffer(target);
                messages++;
            } else {
                ByteString body = (ByteString) frame;
                FrameCodec.putMessageHead(target, sids[head], body.size());
                body.copyToBuffer(target);
                messages++;
            }
            frames[head++] = null;
        }
        return messages;
    }

    /** Lets every queued frame go unwritten (the link is being cut) and returns how many were MSG frames. */
    int discard() {
        int messages = 0;
        for (int i = head; i < size; i++) {
            if (!(frames[i] instanceof Control)) {
                messages++;
            }
            frames[i] = null;
        }
        head = size;
        reset();
        return messages;
    }

    /** Empties a drained queue for reuse. */
    void reset() {
        if (frames != null && frames.length > RETAINED_CAPACITY && size < frames.length / 4) {
            frames = null;
            sids = null;
        }
        size = 0;
        head = 0;
    }

    private int sizeOf(int slot) {
        Object frame = frames[slot];
        if (frame instanceof Control c) {
            return c.frame().size();
        }
        return frame instanceof Routed r ? routedSize(r.groups(), r.body()) : messageSize((ByteString) frame);
    }

    private void add(int sid, Object frame) {
        if (frames == null) {
            frames = new Object[INITIAL_CAPACITY];
            sids = new int[INITIAL_CAPACITY];
        } else if (size == frames.length) {
            frames = Arrays.copyOf(frames, size * 2);
            sids = Arrays.copyOf(sids, size * 2);
        }
        frames[size] = frame;
        sids[size] = sid;
        size++;
    }
}
