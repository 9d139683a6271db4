package io.courier.broker.session;

import io.courier.protocol.FrameCodec;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the inbound byte stream into frames without copying: each frame is a slice of the received chunks
 * (type byte and body, length prefix removed). Holds at most one unfinished frame, whose declared length is checked
 * against the maximum before anything is buffered.
 */
final class FrameSplitter {

    /** Receives frames in order; returning false stops the split (the connection is closing). */
    interface FrameHandler {
        boolean onFrame(ByteString frame);
    }

    private final int maxFrame;
    private ByteString buffer = ByteString.emptyByteString();

    FrameSplitter(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /** Splits {@code chunk} (after any unfinished frame) and hands out each complete frame; null when all is well. */
    FrameCodec.Decoded.Failure split(ByteString chunk, FrameHandler handler) {
        ByteString data = buffer.isEmpty() ? chunk : buffer.concat(chunk);
        int offset = 0;
        int size = data.size();
        while (size - offset >= FrameCodec.LENGTH_BYTES) {
            int length = ((data.apply(offset) & 0xFF) << 24) | ((data.apply(offset + 1) & 0xFF) << 16)
                    | ((data.apply(offset + 2) & 0xFF) << 8) | (data.apply(offset + 3) & 0xFF);
            FrameCodec.Decoded.Failure invalidLength = FrameCodec.checkFrameLength(length, maxFrame);
            if (invalidLength != null) {
                buffer = ByteString.emptyByteString();
                return invalidLength;
            }
            int end = offset + FrameCodec.LENGTH_BYTES + length;
            if (end > size) {
                break;
            }
            ByteString frame = data.slice(offset + FrameCodec.LENGTH_BYTES, end);
            offset = end;
            if (!handler.onFrame(frame)) {
                buffer = ByteString.emptyByteString();
                return null;
            }
        }
        // Compact the unfinished tail so a long-lived partial frame does not pin the whole received chunk.
        buffer = offset == size ? ByteString.emptyByteString() : data.drop(offset).compact();
        return null;
    }
}
