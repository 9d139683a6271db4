package io.courier.broker.session;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Drains an {@link Outbox} into the connection's TCP stream: on each demand it takes everything queued (up to
 * {@code maxBatchBytes}) and copies it into one buffer, so a burst of small frames becomes one socket write and the
 * stream handles one element per batch instead of one per message. MSG heads are written straight into that buffer.
 */
final class OutboxSource extends GraphStage<SourceShape<ByteString>> {

    private static final int MSG_HEAD = FrameCodec.HEADER_BYTES + 4;

    private final Outbox outbox;
    private final int maxBatchBytes;
    private final Outlet<ByteString> out = Outlet.create("OutboxSource.out");
    private final SourceShape<ByteString> shape = SourceShape.of(out);

    OutboxSource(Outbox outbox, int maxBatchBytes) {
        this.outbox = outbox;
        this.maxBatchBytes = maxBatchBytes;
    }

    static int messageSize(ByteString body) {
        return MSG_HEAD + body.size();
    }

    @Override
    public SourceShape<ByteString> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
        return new GraphStageLogic(shape) {
            private final List<Object> batch = new ArrayList<>();
            private Object carried;
            private final AsyncCallback<Outbox.Signal> signal = createAsyncCallback(this::onSignal);

            {
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
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

            private void drainOrPark() {
                do {
                    if (emitBatch()) {
                        return;
                    }
                    if (outbox.isCompleting()) {
                        completeStage();
                        return;
                    }
                } while (outbox.park());
            }

            /** Pushes one batch of everything queued; false when nothing was queued. */
            private boolean emitBatch() {
                int bytes = 0;
                Object next = carried != null ? carried : outbox.poll();
                carried = null;
                while (next != null) {
                    int size = size(next);
                    if (bytes > 0 && bytes + size > maxBatchBytes) {
                        carried = next;
                        break;
                    }
                    batch.add(next);
                    bytes += size;
                    next = outbox.poll();
                }
                if (batch.isEmpty()) {
                    return false;
                }
                byte[] buffer = new byte[bytes];
                ByteBuffer target = ByteBuffer.wrap(buffer);
                for (Object frame : batch) {
                    write(frame, target);
                }
                batch.clear();
                outbox.released(bytes);
                push(out, ByteString.fromArrayUnsafe(buffer));
                return true;
            }
        };
    }

    private static int size(Object frame) {
        return frame instanceof Outbox.Delivery d ? messageSize(d.body()) : ((ByteString) frame).size();
    }

    private static void write(Object frame, ByteBuffer target) {
        if (frame instanceof Outbox.Delivery d) {
            target.putInt(1 + 4 + d.body().size());
            target.put((byte) FrameType.MSG.code());
            target.putInt(d.sid());
            d.body().copyToBuffer(target);
        } else {
            ((ByteString) frame).copyToBuffer(target);
        }
    }

    @Override
    public String toString() {
        return "OutboxSource";
    }
}
