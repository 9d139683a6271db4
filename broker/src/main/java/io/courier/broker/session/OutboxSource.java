package io.courier.broker.session;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

import java.nio.ByteBuffer;

/**
 * Drains an {@link Outbox} into the connection's TCP stream: on each demand it takes everything queued (up to
 * {@code maxBatchBytes}) and copies it into one buffer, so a burst of small frames becomes one socket write and the
 * stream handles one element per batch instead of one per message. MSG heads are written straight into that buffer.
 */
final class OutboxSource extends GraphStage<SourceShape<ByteString>> {

    private final Outbox outbox;
    private final int maxBatchBytes;
    private final Outlet<ByteString> out = Outlet.create("OutboxSource.out");
    private final SourceShape<ByteString> shape = SourceShape.of(out);

    OutboxSource(Outbox outbox, int maxBatchBytes) {
        this.outbox = outbox;
        this.maxBatchBytes = maxBatchBytes;
    }

    @Override
    public SourceShape<ByteString> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
        return new GraphStageLogic(shape) {
            private final AsyncCallback<Outbox.Signal> signal = createAsyncCallback(this::onSignal);

            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        // The socket stage took the last batch: only now does it stop counting as pending.
                        outbox.demand();
                        drainOrPark();
                    }
                });
            }

            @Override
            public void preStart() {
                outbox.attach(signal::invoke);
            }

            private void onSignal(Outbox.Signal s) {
                if (s instanceof Outbox.Abort abort) {
                    failStage(abort.reason());
                } else if (isAvailable(out)) {
                    drainOrPark();
                }
            }

            /** Pushes a batch, or ends the stream once completing and drained, or else waits for a wake-up. */
            private void drainOrPark() {
                if (!emitBatch() && outbox.isCompleting()) {
                    completeStage();
                }
            }

            /** Pushes one batch of everything queued; false when nothing was queued (the outbox then wakes us). */
            private boolean emitBatch() {
                int bytes = outbox.nextBatch(maxBatchBytes);
                if (bytes == 0) {
                    return false;
                }
                // A new array per write: the TCP stage keeps the element until it is written.
                byte[] buffer = new byte[bytes];
                outbox.writeBatch(ByteBuffer.wrap(buffer));
                push(out, ByteString.fromArrayUnsafe(buffer));
                return true;
            }
        };
    }

    @Override
    public String toString() {
        return "OutboxSource";
    }
}
