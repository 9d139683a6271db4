package io.courier.client;

import io.courier.protocol.Headers;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request/reply over one wildcard inbox subscription per connection ({@code _INBOX.<random>.*}, made on the first
 * request); each request waits under its own token, the last token of its reply topic. Replies are completed on the
 * reader thread as they are read (the inbox subscription runs on the reader: a waiting {@code get()} is simply
 * unparked, with no hop through the dispatch pool); timeouts are completed on the pool.
 */
final class Requests {

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CourierConnection connection;
    private final String unique = randomToken(22);
    private final String replyPrefix = "_INBOX." + unique + "R.";
    private final AtomicLong nextToken = new AtomicLong();
    private final AtomicLong nextInbox = new AtomicLong();
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private volatile Subscription inbox;

    private record Pending(String topic, CompletableFuture<Message> future) {
    }

    Requests(CourierConnection connection) {
        this.connection = connection;
    }

    String newInbox() {
        return "_INBOX." + unique + Long.toString(nextInbox.incrementAndGet(), 36);
    }

    CompletableFuture<Message> request(String topic, Map<String, String> headers, byte[] payload, Duration timeout) {
        byte[] topicField = connection.topicField(topic);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
        }
        CompletableFuture<Message> future = new CompletableFuture<>();
        try {
            ensureInbox();
        } catch (CourierException e) {
            future.completeExceptionally(e);
            return future;
        }
        String token = Long.toString(nextToken.incrementAndGet(), 36);
        pending.put(token, new Pending(topic, future));
        long nanos = timeout.toNanos();
        ScheduledFuture<?> timer = Dispatch.timer().schedule(() -> Dispatch.pool().execute(() ->
                future.completeExceptionally(new TimeoutException("no reply to request on '" + topic + "' within "
                        + timeout.toMillis() + " ms"))), nanos, TimeUnit.NANOSECONDS);
        future.whenComplete((reply, failure) -> {
            pending.remove(token);
            timer.cancel(false);
        });
        try {
            connection.publishEncoded(topicField, PublishEncoder.stringField(replyPrefix + token), headers, payload);
        } catch (CourierException e) {
            future.completeExceptionally(e);
        } catch (RuntimeException e) {
            future.cancel(false);
            throw e;
        }
        return future;
    }

    /** Fails every waiting request, for example when the connection closes. */
    void failAll(RuntimeException cause) {
        for (Pending p : pending.values()) {
            p.future().completeExceptionally(cause);
        }
        pending.clear();
    }

    private void ensureInbox() {
        if (inbox == null) {
            synchronized (this) {
                if (inbox == null) {
                    inbox = connection.subscribeOnReader(replyPrefix + "*", this::onReply);
                }
            }
        }
    }

    private void onReply(Message reply) {
        String token = reply.topic().substring(replyPrefix.length());
        Pending p = pending.remove(token);
        if (p == null) {
            return; // timed out or a second reply
        }
        if (Headers.isNoResponders(reply.headers())) {
            p.future().completeExceptionally(new NoRespondersException("no responders for request on '"
                    + p.topic() + "'"));
        } else {
            p.future().complete(reply);
        }
    }

    private static String randomToken(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(chars);
    }
}
