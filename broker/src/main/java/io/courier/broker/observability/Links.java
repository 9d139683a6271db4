package io.courier.broker.observability;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The client links open now, by id: a concurrent registry each session adds itself to when it starts and removes
 * itself from when it is released, so the admin port can page through connections without asking their actors.
 * Its {@link Listener} hears connects, disconnects, slow consumers and refused credentials (the system events).
 */
public final class Links {

    /** Told on the link's own thread; must not block. */
    public interface Listener {
        Listener NONE = new Listener() { };

        default void connected(Link link) { }

        default void disconnected(Link link, String reason) { }

        default void slowConsumer(Link link, String policy, String detail) { }

        default void authFailure(Link link, String reason) { }
    }

    private final ConcurrentSkipListMap<Long, Link> open = new ConcurrentSkipListMap<>();
    private volatile Listener listener = Listener.NONE;

    /** Registers link {@code id}, from {@code remote}, whose outbound queue is {@code outbound}. */
    public Link open(long id, InetSocketAddress remote, Link.Outbound outbound) {
        Link link = new Link(this, id, remote, outbound);
        open.put(id, link);
        return link;
    }

    /** The link is gone; a connected one is reported with its close reason. Idempotent. */
    public void closed(Link link) {
        if (open.remove(link.id(), link) && link.isConnected()) {
            listener.disconnected(link, link.closeReason());
        }
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    Listener listener() {
        return listener;
    }

    /** Links open now, handshaking ones included. */
    public int size() {
        return open.size();
    }

    /** Up to {@code limit} links in id order, skipping the first {@code offset}. */
    public List<Link> page(int offset, int limit) {
        List<Link> page = new ArrayList<>(Math.min(limit, 1024));
        int skipped = 0;
        for (Link l : open.values()) {
            if (page.size() >= limit) {
                break;
            }
            if (skipped++ >= offset) {
                page.add(l);
            }
        }
        return page;
    }

    /** Bytes queued for every open link, not yet written: the outbound queues' depth. */
    public long pendingBytes() {
        long sum = 0;
        for (Link l : open.values()) {
            sum += l.pendingBytes();
        }
        return sum;
    }

    /** The largest outbound queue now, in bytes. */
    public long maxPendingBytes() {
        long max = 0;
        for (Link l : open.values()) {
            max = Math.max(max, l.pendingBytes());
        }
        return max;
    }
}
