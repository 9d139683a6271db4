package io.courier.broker.session;

import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the inbound byte stream into frames without copying: each frame is handed out as a range of the received
 * chunk's array (type byte and body, length prefix excluded), and the handler wraps only what it keeps. Holds at
 * most one unfinished frame, whose declared length is checked against the maximum before anything is buffered.
 *
 * <p>Frames are read from the array behind the chunk ({@link ByteString#toArrayUnsafe()}: the socket hands over a
 * compact chunk, so no copy), never through {@code ByteString} slices: a slice of a slice costs several objects per
 * frame, and byte-by-byte reads through it are slower. A frame that straddles two chunks is completed in an array of
 * its own, and the rest of the new chunk is cut from the chunk itself.
 *
 * <p>The unfinished frame is the one thing a client can make the broker hold without limit, by starting frames and
 * not finishing them, so it is bounded three ways: by the largest frame accepted (small until the handshake is done,
 * see {@link #maxFrame(int)}), by a broker-wide {@link Budget} charged with the bytes actually held (only frames
 * larger than {@value #ALWAYS_ALLOWED} bytes are ever refused by it), and in time
 * ({@link #unfinishedSince}, checked by the session against the frame timeout).
 */
final class FrameSplitter {

    /** Receives frames in order; returning false stops the split (the connection is closing). */
    interface FrameHandler {
        /**
         * A frame is {@code data[offset, offset + length)}: its type byte, then its body. The array is never written
         * to, by anyone: a handler may keep a view of it (as the body of a MSG) but must not change it.
         */
        boolean onFrame(byte[] data, int offset, int length);
    }

    /**
     * Bytes of an unfinished frame that are never refused: frames of ordinary size straddle socket reads all the
     * time, and a connection must not lose its link to MEMORY_LIMIT because others hold the budget. Only the part of
     * an unfinished frame above this can be refused.
     */
    static final int ALWAYS_ALLOWED = 64 * 1024;

    private final Budget budget;
    private int maxFrame;
    /** The start of an unfinished frame, length prefix included; empty when the last chunk ended on a frame. */
    private ByteString partial = ByteString.emptyByteString();
    /** Bytes of {@link #partial} charged to the budget. */
    private long charged;
    /** When the unfinished frame began (System.nanoTime), or 0 when there is none. */
    private long partialSince;

    FrameSplitter(int maxFrame, Budget budget) {
        this.maxFrame = maxFrame;
        this.budget = budget;
    }

    /** Changes the largest frame accepted from the next length field on (raised once the handshake is done). */
    void maxFrame(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /** When the unfinished frame began (System.nanoTime), or 0 when none is held. */
    long unfinishedSince() {
        return partialSince;
    }

    /** Gives back what the unfinished frame holds of the budget (the link is gone). */
    void release() {
        partial = ByteString.emptyByteString();
        partialSince = 0;
        uncharge();
    }

    /** Splits {@code chunk} (after any unfinished frame) and hands out each complete frame; null when all is well. */
    FrameCodec.Decoded.Failure split(ByteString chunk, FrameHandler handler) {
        byte[] data = chunk.toArrayUnsafe();
        int offset = 0;
        if (!partial.isEmpty()) {
            offset = continuePartial(chunk);
            if (offset < 0) {
                return lengthFailure(partial);
            }
            if (!isComplete(partial)) {
                return chargePartial();
            }
            // One array for the whole frame: it is the message's buffer from here on, shared by its subscribers.
            byte[] frame = partial.toArrayUnsafe();
            partial = ByteString.emptyByteString();
            partialSince = 0;
            uncharge();
            if (!handler.onFrame(frame, FrameCodec.LENGTH_BYTES, frame.length - FrameCodec.LENGTH_BYTES)) {
                return null;
            }
        }
        int size = data.length;
        while (size - offset >= FrameCodec.LENGTH_BYTES) {
            int length = lengthAt(data, offset);
            FrameCodec.Decoded.Failure invalidLength = FrameCodec.checkFrameLength(length, maxFrame);
            if (invalidLength != null) {
                return invalidLength;
            }
            int start = offset + FrameCodec.LENGTH_BYTES;
            if (length > size - start) {
                break;
            }
            offset = start + length;
            if (!handler.onFrame(data, start, length)) {
                return null;
            }
        }
        if (offset < size) {
            // Copy the unfinished tail so a long-lived partial frame does not pin the whole received chunk.
            partial = ByteString.fromArrayUnsafe(data, offset, size - offset).compact();
            partialSince = System.nanoTime();
            return chargePartial();
        }
        return null;
    }

    /** Charges the budget for what the unfinished frame holds now; a failure when the budget is used up. */
    private FrameCodec.Decoded.Failure chargePartial() {
        long more = partial.size() - charged;
        if (more <= 0) {
            return null;
        }
        if (partial.size() <= ALWAYS_ALLOWED) {
            budget.charge(more);
            charged += more;
            return null;
        }
        if (budget.tryCharge(more)) {
            charged += more;
            return null;
        }
        long holding = partial.size();
        release();
        return new FrameCodec.Decoded.Failure(ErrorCode.MEMORY_LIMIT, "the broker holds " + budget.used()
                + " bytes of unfinished frames, its limit; this connection's frame (" + holding
                + " bytes so far) does not fit: retry later");
    }

    private void uncharge() {
        if (charged > 0) {
            budget.release(charged);
            charged = 0;
        }
    }

    /**
     * Appends to the unfinished frame the bytes of {@code chunk} that belong to it; returns how many it took, or -1
     * when the frame's length, once known, is not acceptable. Each piece is copied once: the pieces stay a list
     * until the frame is complete.
     */
    private int continuePartial(ByteString chunk) {
        int taken = 0;
        if (partial.size() < FrameCodec.LENGTH_BYTES) {
            taken = Math.min(FrameCodec.LENGTH_BYTES - partial.size(), chunk.size());
            partial = partial.concat(chunk.slice(0, taken)).compact();
            if (partial.size() < FrameCodec.LENGTH_BYTES) {
                return taken;
            }
            if (FrameCodec.checkFrameLength(lengthOf(partial), maxFrame) != null) {
                return -1;
            }
        }
        int missing = FrameCodec.LENGTH_BYTES + lengthOf(partial) - partial.size();
        int take = Math.min(missing, chunk.size() - taken);
        partial = partial.concat(chunk.slice(taken, taken + take).compact());
        return taken + take;
    }

    private FrameCodec.Decoded.Failure lengthFailure(ByteString frameStart) {
        FrameCodec.Decoded.Failure failure = FrameCodec.checkFrameLength(lengthOf(frameStart), maxFrame);
        release();
        return failure;
    }

    private static boolean isComplete(ByteString frameStart) {
        return frameStart.size() >= FrameCodec.LENGTH_BYTES
                && frameStart.size() - FrameCodec.LENGTH_BYTES == lengthOf(frameStart);
    }

    /** The length field at the start of an unfinished frame (rare: once per chunk at most). */
    private static int lengthOf(ByteString frameStart) {
        return ((frameStart.apply(0) & 0xFF) << 24) | ((frameStart.apply(1) & 0xFF) << 16)
                | ((frameStart.apply(2) & 0xFF) << 8) | (frameStart.apply(3) & 0xFF);
    }

    private static int lengthAt(byte[] data, int offset) {
        return ((data[offset] & 0xFF) << 24) | ((data[offset + 1] & 0xFF) << 16)
                | ((data[offset + 2] & 0xFF) << 8) | (data[offset + 3] & 0xFF);
    }
}
