package io.courier.client;

import io.courier.protocol.ErrorCode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test error listener that keeps every call, one line each, and the thread it came on. */
final class RecordingErrors implements ErrorListener {

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void onSubscriptionRefused(Subscription subscription, SubscriptionError error) {
        record("refused " + subscription.pattern() + ": " + error);
    }

    @Override
    public void onBrokerError(ErrorCode code, String reason) {
        record("broker " + code + ": " + reason);
    }

    @Override
    public void onSlowConsumer(Subscription subscription, long dropped) {
        record("slow " + subscription.pattern() + " dropped " + dropped);
    }

    @Override
    public void onHandlerException(Subscription subscription, Message message, Exception exception) {
        record("handler " + subscription.pattern() + " on " + message.topic() + ": " + exception.getMessage());
    }

    List<String> calls() {
        return List.copyOf(calls);
    }

    List<String> threads() {
        return List.copyOf(threads);
    }

    private void record(String call) {
        threads.add(Thread.currentThread().getName());
        calls.add(call);
    }
}
