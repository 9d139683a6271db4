package io.courier.client;

import io.courier.protocol.Err;
import io.courier.protocol.Frame;
import io.courier.protocol.Pong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's reader thread: reads the current link, hands each frame to its place (messages to their
 * subscription's queue, PONGs to the flush FIFO, PINGs answered at once, ERRs to the listener), and when the link
 * is lost asks the connection for a new one. Never runs user code.
 */
final class Reader implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Reader.class);

    private final CourierConnection connection;
    private final Outbound outbound;
    private final Subscriptions subscriptions;
    private final Consumer<Frame> sink = this::onFrame;
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
                String reason = link.readLoop(sink);
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

    private void onFrame(Frame frame) {
        switch (frame.type()) {
            case MSG -> deliver((io.courier.protocol.Message) frame);
            case PING -> outbound.control(Pong.INSTANCE);
            case PONG -> outbound.pong();
            case ERR -> onError((Err) frame);
            case CONNECTED -> log.debug("ignoring a second CONNECTED from {}", link.server());
            default -> link.abort("protocol violation: the server sent a " + frame.type() + " frame");
        }
    }

    private void deliver(io.courier.protocol.Message message) {
        ClientSubscription subscription = subscriptions.get(message.sid());
        if (subscription != null && subscription.offer(message)) {
            subscriptions.remove(subscription); // the broker ends it too: UNSUB max reached
        }
    }

    private void onError(Err err) {
        connection.serverError(err.code(), err.reason());
        if (err.code().fatal()) {
            link.abort("server error " + err.code() + ": " + err.reason());
        }
    }
}
