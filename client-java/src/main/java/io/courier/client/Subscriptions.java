package io.courier.client;

import io.courier.protocol.ErrorCode;
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

    /**
     * If {@code reason}, the reason of a non-fatal ERR, is about the SUB of a subscription here (it starts with
     * {@code SUB <sid>: }, protocol section 12), marks that subscription refused, removes it and returns it; else
     * returns null. Any code counts, not only today's SUB refusals: more may be added. Reader thread.
     */
    ClientSubscription refuse(ErrorCode code, String reason) {
        int colon = reason.indexOf(": ");
        if (!reason.startsWith("SUB ") || colon < 5 || colon > 14) { // 1 to 10 digits
            return null;
        }
        long sid = 0;
        for (int i = 4; i < colon; i++) {
            char c = reason.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            sid = sid * 10 + (c - '0');
        }
        ClientSubscription subscription = sid > Integer.MAX_VALUE ? null : bySid.get((int) sid);
        if (subscription == null) {
            return null;
        }
        subscription.refuse(new SubscriptionError(code, reason.substring(colon + 2)));
        remove(subscription);
        return subscription;
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
            frames.add(new Subscribe(s.sid(), s.pattern(), s.queueGroup(), s.delivery() == Delivery.UDP));
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
