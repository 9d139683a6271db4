package io.courier.client;

import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.Pong;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's reader thread: reads the current link, hands each frame to its place (messages to their
 * subscription, PONGs to the flush FIFO, PINGs answered at once, ERRs to the listener), and when the link is lost asks
 * the connection for a new one. Messages are handed to their subscriptions' handlers once per read (see
 * {@link ClientSubscription#handOver()}), and before any other frame is acted on, so order is kept. Never runs user
 * code.
 */
final class Reader implements Runnable, InboundDecoder.Sink {

    private static final Logger log = LoggerFactory.getLogger(Reader.class);

    private final CourierConnection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    /** Subscriptions holding messages of the current read that are not yet handed over. */
    private final List<ClientSubscription> collecting = new ArrayList<>();
    /** The last subscription looked up: sids are never reused, and an ended one ignores what it is offered. */
    private ClientSubscription last;
    private Link link;

    Reader(CourierConnection connection, Outbound outbound, Subscriptions subscriptions, Link first) {
        this.connection = connection;
        this.outbound = outbound;
        this.subscriptions = subscriptions;
        this.link = first;
    }

    @Override
    public void run() {
        try {
            while (link != null) {
                String reason = link.readLoop(this);
                endOfRead();
                link.close();
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
            case PONG -> outbound.pong();
            case ERR -> onError((Err) frame);
            case CONNECTED -> log.debug("ignoring a second CONNECTED from {}", link.server());
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
        connection.serverError(err.code(), err.reason());
        if (err.code().fatal()) {
            link.abort("server error " + err.code() + ": " + err.reason());
        }
    }
}
