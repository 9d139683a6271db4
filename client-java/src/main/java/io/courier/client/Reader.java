package io.courier.client;

import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.Info;
import io.courier.protocol.Pong;
import io.courier.protocol.Resync;
import io.courier.protocol.UdpBound;
import io.courier.protocol.UdpReady;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's reader thread: reads the current link, hands each frame to its place (messages to their
 * subscription, PONGs to the flush FIFO, PINGs answered at once, ERRs to the connection), and when the link is lost
 * asks the connection for a new one. Messages are handed to their subscriptions' handlers once per read (see
 * {@link ClientSubscription#handOver()}), and before any other frame is acted on, so order is kept; every frame is
 * acted on before the next is looked at, so an ERR about a SUB is handled before the PONG of a later PING. Never runs
 * user code.
 *
 * <p>On {@code ERR SERVER_SHUTDOWN} the link is drained rather than cut (see {@link Outbound#drain}): the reader
 * goes on reading it until the broker answers the drain PING, closes the link, or {@code drainTimeout} has passed
 * since the ERR, and only then treats it as lost.
 */
final class Reader implements Runnable, InboundDecoder.Sink {

    private static final Logger log = LoggerFactory.getLogger(Reader.class);

    private final CourierConnection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final Duration drainTimeout;
    /** Subscriptions holding messages of the current read that are not yet handed over. */
    private final List<ClientSubscription> collecting = new ArrayList<>();
    /** The last subscription looked up: sids are never reused, and an ended one ignores what it is offered. */
    private ClientSubscription last;
    private Link link;
    /** While the current link drains: the shutdown ERR, which starts the reason the link ends with. */
    private String shutdown;
    private ScheduledFuture<?> drainDeadline;

    Reader(CourierConnection connection, Outbound outbound, Subscriptions subscriptions, Link first,
           Duration drainTimeout) {
        this.connection = connection;
        this.outbound = outbound;
        this.subscriptions = subscriptions;
        this.link = first;
        this.drainTimeout = drainTimeout;
    }

    @Override
    public void run() {
        try {
            while (link != null) {
                String reason = link.readLoop(this);
                endOfRead();
                link.close();
                if (shutdown != null) {
                    reason = shutdown + "; " + reason;
                    drainDeadline.cancel(false);
                    shutdown = null;
                }
                link = connection.linkLost(link, reason);
            }
        } catch (RuntimeException e) {
            log.error("courier reader failed; closing the connection", e);
            connection.shutdown("internal error in the reader: " + e);
        } catch (Error e) {
            connection.shutdown("internal error in the reader: " + e);
            throw e;
        }
    }

    @Override
    public void message(int sid, Message message) {
        ClientSubscription subscription = last;
        if (subscription == null || subscription.sid() != sid) {
            subscription = subscriptions.get(sid);
            if (subscription == null) {
                return;
            }
            last = subscription;
        }
        boolean wasIdle = !subscription.holdsMessages();
        if (subscription.offer(message)) {
            subscriptions.remove(subscription); // the broker ends it too: UNSUB max reached
        }
        if (wasIdle && subscription.holdsMessages()) {
            collecting.add(subscription);
        }
    }

    @Override
    public void frame(Frame frame) {
        endOfRead();
        switch (frame.type()) {
            case MSG -> {
                io.courier.protocol.Message m = (io.courier.protocol.Message) frame;
                message(m.sid(), new Message(m.topic(), m.replyTo(), m.headers(), m.payload()));
            }
            case PING -> outbound.control(Pong.INSTANCE);
            case PONG -> {
                if (outbound.pong()) {
                    link.abort("drain complete");
                }
            }
            case ERR -> onError((Err) frame);
            case CONNECTED -> log.debug("ignoring a second CONNECTED from {}", link.server());
            case INFO -> connection.serversChanged(((Info) frame).servers());
            case UDP_READY -> connection.udpReady(link, (UdpReady) frame);
            case UDP_BOUND -> connection.udpBound(link, ((UdpBound) frame).endpoint());
            case RESYNC -> {
                io.courier.protocol.Message m = ((Resync) frame).message();
                ClientSubscription subscription = subscriptions.get(m.sid());
                if (subscription != null) {
                    connection.resyncMessage();
                    subscription.offerAndHandOver(new Message(m.topic(), m.replyTo(), m.headers(), m.payload(), 0,
                            true), subscriptions);
                }
            }
            default -> link.abort("protocol violation: the server sent a " + frame.type() + " frame");
        }
    }

    @Override
    public void endOfRead() {
        for (int i = 0; i < collecting.size(); i++) {
            collecting.get(i).handOver();
        }
        collecting.clear();
    }

    private void onError(Err err) {
        ErrorCode code = err.code();
        String description = "server error " + code + ": " + err.reason();
        boolean draining = code == ErrorCode.SERVER_SHUTDOWN && (shutdown != null || startDrain(description));
        connection.serverError(code, err.reason()); // after the drain started: a listener sees the buffering
        if (code.fatal() && !draining) {
            link.abort(description);
        }
    }

    /** Drains the current link (see the class comment); false when the connection is closed. */
    private boolean startDrain(String description) {
        if (!outbound.drain(link)) {
            return false;
        }
        shutdown = description;
        Link draining = link;
        long millis = drainTimeout.toMillis();
        drainDeadline = Dispatch.timer().schedule(
                () -> draining.abort("no PONG to the drain PING within " + millis + " ms"), millis,
                TimeUnit.MILLISECONDS);
        log.info("{} is shutting down: draining its link, buffering publishes for the next one", link.server());
        return true;
    }
}
