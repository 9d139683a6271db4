package io.courier.broker.observability;

import java.net.InetSocketAddress;

/**
 * What the admin port shows of one client link: a few volatile fields its session writes on its own thread (once
 * per read or per state change, never per message) and admin threads read as they are. A reading may be a moment
 * old; it is never torn, and reading it takes no lock and no actor round trip.
 */
public final class Link {

    /** The link's outbound queue, read at scrape time. */
    public interface Outbound {
        /** Bytes queued or being written, not yet confirmed written. */
        long pendingBytes();

        /** Bytes written to the socket, frames of every kind. */
        long bytesWritten();

        /** MSG frames written to the socket. */
        long messagesWritten();
    }

    private final Links links;
    private final long id;
    private final String remote;
    private final long openedMillis = System.currentTimeMillis();
    private final Outbound outbound;
    private volatile String name = "";
    private volatile boolean connected;
    private volatile boolean udp;
    private volatile int subscriptions;
    private volatile long messagesIn;
    private volatile long bytesIn;
    private volatile long lastReadNanos = System.nanoTime();
    /** Why the link closes, once known (the ERR the broker sent, or null: the client went). */
    private volatile String closeReason;

    Link(Links links, long id, InetSocketAddress remote, Outbound outbound) {
        this.links = links;
        this.id = id;
        this.remote = remote == null ? "" : remote.getHostString() + ":" + remote.getPort();
        this.outbound = outbound;
    }

    // ------------------------------------------------------------------ written by the link's session

    /** The handshake completed for client {@code name}. */
    public void connected(String clientName) {
        this.name = clientName;
        this.connected = true;
        links.listener().connected(this);
    }

    /** {@code bytes} more were read; {@code publishes} PUBs have been accepted on this link so far. */
    public void read(int bytes, long publishes) {
        bytesIn += bytes;
        messagesIn = publishes;
        lastReadNanos = System.nanoTime();
    }

    public void subscriptions(int n) {
        subscriptions = n;
    }

    public void udp(boolean on) {
        udp = on;
    }

    /** The broker closes the link with {@code code}: {@code reason}. The first reason given is kept. */
    public void closing(String code, String reason) {
        if (closeReason == null) {
            closeReason = code + ": " + reason;
        }
    }

    /** The broker refused this client's credentials. */
    public void authFailed(String reason) {
        links.listener().authFailure(this, reason);
    }

    /** The slow-consumer policy ({@code drop} or {@code disconnect}) met this link. */
    public void slowConsumer(String policy, String detail) {
        links.listener().slowConsumer(this, policy, detail);
    }

    // ------------------------------------------------------------------ read by anyone

    public long id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String remote() {
        return remote;
    }

    public boolean isConnected() {
        return connected;
    }

    /** {@code tcp}, or {@code tcp+udp} once the client opened its UDP side. */
    public String transport() {
        return udp ? "tcp+udp" : "tcp";
    }

    public int subscriptions() {
        return subscriptions;
    }

    public long messagesIn() {
        return messagesIn;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long messagesOut() {
        return outbound.messagesWritten();
    }

    public long bytesOut() {
        return outbound.bytesWritten();
    }

    public long pendingBytes() {
        return outbound.pendingBytes();
    }

    public long openedMillis() {
        return openedMillis;
    }

    /** Milliseconds since the client last sent anything. */
    public long idleMillis() {
        return Math.max(0, (System.nanoTime() - lastReadNanos) / 1_000_000);
    }

    /** Why the broker closed the link, or {@code closed by the client} when the broker did not. */
    public String closeReason() {
        String r = closeReason;
        return r == null ? "closed by the client" : r;
    }
}
