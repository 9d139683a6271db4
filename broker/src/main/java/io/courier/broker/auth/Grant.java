package io.courier.broker.auth;

/**
 * What one connection was let in as: its user and the permissions it holds now. A reload that changes the user's
 * permissions replaces them here (read with one volatile read on the connection's own thread) and tells the
 * connection, which then drops the subscriptions it may no longer hold; a reload that removes the user, or changes its password or token, revokes it.
 */
public final class Grant {

    /** Told, on the reloading thread, that {@link #permissions()} changed or that the grant was revoked. */
    public interface Listener {
        void changed(Grant grant);
    }

    private final String user;
    /** The stored hash the user logged in against (no secret): a reload that changes it revokes the grant. */
    private final String credential;
    private volatile Permissions permissions;
    private volatile boolean revoked;
    private volatile Listener listener = g -> { };
    /** Bumped on each change, so that caches of what was allowed know when to forget. */
    private volatile int generation;

    Grant(String user, String credential, Permissions permissions) {
        this.user = user;
        this.credential = credential;
        this.permissions = permissions;
    }

    /** The user's name; empty for an anonymous client. */
    public String user() {
        return user;
    }

    public boolean anonymous() {
        return user.isEmpty();
    }

    String credential() {
        return credential;
    }

    public Permissions permissions() {
        return permissions;
    }

    public boolean revoked() {
        return revoked;
    }

    public int generation() {
        return generation;
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    void change(Permissions next) {
        if (!next.equals(permissions)) {
            permissions = next;
            generation++;
            listener.changed(this);
        }
    }

    void revoke() {
        revoked = true;
        permissions = Permissions.NONE;
        generation++;
        listener.changed(this);
    }

    @Override
    public String toString() {
        return anonymous() ? "anonymous" : "user '" + user + "'";
    }
}
