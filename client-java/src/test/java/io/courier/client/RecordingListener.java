package io.courier.client;

import static org.awaitility.Awaitility.await;

import io.courier.protocol.ErrorCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test listener that keeps every event and server error, with awaits. */
final class RecordingListener implements ConnectionListener {

    private final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(ConnectionEvent event) {
        events.add(event);
    }

    @Override
    public void onServerError(ErrorCode code, String reason) {
        errors.add(code + ": " + reason);
    }

    List<ConnectionEvent> events() {
        return List.copyOf(events);
    }

    List<ConnectionEvent.Type> types() {
        return events.stream().map(ConnectionEvent::type).toList();
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    /** Waits for the first event of {@code type} and returns it. */
    ConnectionEvent awaitEvent(ConnectionEvent.Type type) {
        await().alias("event " + type + " (events so far: " + events + ")").atMost(Duration.ofSeconds(5))
                .until(() -> events.stream().anyMatch(e -> e.type() == type));
        return events.stream().filter(e -> e.type() == type).findFirst().orElseThrow();
    }
}
