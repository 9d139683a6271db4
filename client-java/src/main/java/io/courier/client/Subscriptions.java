package io.courier.client;

import io.courier.protocol.Frame;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Unsubscribe;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** The connection's live subscriptions by sid; read by the reader thread on every message. */
final class Subscriptions {

    private final ConcurrentHashMap<Integer, ClientSubscription> bySid = new ConcurrentHashMap<>();

    void add(ClientSubscription subscription) {
        bySid.put(subscription.sid(), subscription);
    }

    void remove(ClientSubscription subscription) {
        bySid.remove(subscription.sid(), subscription);
    }

    ClientSubscription get(int sid) {
        return bySid.get(sid);
    }

    /** SUB (and UNSUB with the remaining count) for every active subscription, in sid order: for a new link. */
    List<Frame> resubscribeFrames() {
        List<ClientSubscription> active = new ArrayList<>(bySid.values());
        active.sort(Comparator.comparingInt(ClientSubscription::sid));
        List<Frame> frames = new ArrayList<>();
        for (ClientSubscription s : active) {
            if (!s.isActive()) {
                continue;
            }
            frames.add(new Subscribe(s.sid(), s.pattern(), s.queueGroup()));
            long remaining = s.remaining();
            if (remaining > 0) {
                frames.add(new Unsubscribe(s.sid(), remaining));
            }
        }
        return frames;
    }

    /** Ends every subscription (the connection closed). */
    void cancelAll() {
        for (ClientSubscription s : bySid.values()) {
            s.cancel();
        }
        bySid.clear();
    }
}
