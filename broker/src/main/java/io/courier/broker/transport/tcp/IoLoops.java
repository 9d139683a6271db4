package io.courier.broker.transport.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/** The broker's I/O loops ({@code courier.io-threads}); accepted links are spread over them in turn. */
public final class IoLoops implements AutoCloseable {

    /** Room to read one chunk: the kernel's receive buffer rarely holds more between two turns. */
    private static final int READ_BUFFER = 64 * 1024;

    private final IoLoop[] loops;
    private final AtomicInteger next = new AtomicInteger();

    /** Starts {@code threads} loops whose write buffers hold a batch of {@code maxWriteBatch} bytes. */
    public IoLoops(int threads, int maxWriteBatch) {
        loops = new IoLoop[threads];
        try {
            for (int i = 0; i < threads; i++) {
                loops[i] = new IoLoop("courier-io-" + i, READ_BUFFER, maxWriteBatch);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot open a selector", e);
        }
    }

    /** The loop the next link goes to. */
    public IoLoop next() {
        return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
    }

    /** The loop that accepts. */
    IoLoop first() {
        return loops[0];
    }

    @Override
    public void close() {
        for (IoLoop loop : loops) {
            if (loop != null) {
                loop.close();
            }
        }
    }
}
