package io.courier.client;

/**
 * Receives the messages of one subscription, one at a time and in the order the broker sent them. Runs on a
 * shared dispatch thread, never on the connection's reader thread, so it may block; it only delays its own
 * subscription. An exception it throws is logged and the subscription goes on.
 */
@FunctionalInterface
public interface MessageHandler {

    void onMessage(Message message) throws Exception;
}
