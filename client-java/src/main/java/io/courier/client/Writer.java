package io.courier.client;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The connection's writer thread: takes everything queued in {@link Outbound} and writes it in one socket write,
 * again and again. Lives as long as the connection, across reconnects.
 */
final class Writer implements Runnable {

    /** A buffer grown past this by a burst is replaced by a fresh small one after use. */
    private static final int SHRINK_ABOVE = 4 * 1024 * 1024;

    private final Outbound outbound;

    Writer(Outbound outbound) {
        this.outbound = outbound;
    }

    @Override
    public void run() {
        ByteBuffer spare = ByteBuffer.allocate(Outbound.INITIAL_CAPACITY);
        try {
            while (true) {
                Outbound.Batch batch = outbound.awaitBatch(spare);
                if (batch == null) {
                    return;
                }
                ByteBuffer buffer = batch.buffer().flip();
                try {
                    batch.link().write(buffer);
                } catch (IOException e) {
                    // Bytes of this batch are lost with the link (at-most-once); the reader reconnects.
                    batch.link().abort("write failed: " + Link.describe(e));
                }
                spare = buffer.capacity() > SHRINK_ABOVE ? ByteBuffer.allocate(Outbound.INITIAL_CAPACITY) : buffer.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
