package io.courier.client;

import io.courier.protocol.ErrorCode;

/**
 * Hears about a connection's state changes and the errors its broker reports. Calls come one at a time, in order,
 * on a dispatch thread (never the reader thread), so a listener may call back into the connection. For errors sorted
 * by what they concern (which subscription was refused, the client's own drops, failing handlers) see
 * {@link ErrorListener}.
 */
public interface ConnectionListener {

    void onEvent(ConnectionEvent event);

    /**
     * The broker sent an ERR frame. Non-fatal codes (for example {@link ErrorCode#INVALID_PATTERN},
     * {@link ErrorCode#TOO_MANY_SUBSCRIPTIONS}, {@link ErrorCode#MESSAGES_DROPPED}) leave the connection up; after a
     * fatal one the broker closes the link and a DISCONNECTED event follows (after {@link ErrorCode#SERVER_SHUTDOWN},
     * once the link is drained: see {@link Connection}). Also called when a reconnect attempt is refused with an ERR.
     * Every ERR comes here as it is, including those refusing a SUB, which {@link ErrorListener} reports as
     * refusals instead.
     */
    default void onServerError(ErrorCode code, String reason) {
    }
}
