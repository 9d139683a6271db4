package io.courier.client;

import java.io.IOException;

/**
 * The connection's writer thread: takes everything queued in {@link Outbound} and writes it as one batch, again and
 * again, waiting while the socket is full. Lives as long as the connection, across reconnects. Callers write lone
 * frames on an idle link themselves (see {@link Outbound}); the writer sends the rest.
 */
final class Writer implements Runnable {

    private final Outbound outbound;

    Writer(Outbound outbound) {
        this.outbound = outbound;
    }

    @Override
    public void run() {
        try {
            Outbound.Batch batch;
            while ((batch = outbound.awaitBatch()) != null) {
                try {
                    batch.link().writeFully(batch.buffer());
                } catch (IOException e) {
                    // Bytes of this batch are lost with the link (at-most-once); the reader reconnects.
                    batch.link().abort("write failed: " + Link.describe(e));
                } finally {
                    outbound.written(batch);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
