package io.courier.bench.hardening;

import io.courier.client.ConnectionEvent;
import io.courier.client.ConnectionListener;
import io.courier.protocol.ErrorCode;

import java.util.ArrayList;
import java.util.List;

/** What the Java client's listener heard: state changes and the broker's ERR codes, with their times. */
final class ClientEvents implements ConnectionListener {

    private final long startNanos;
    private final List<String> events = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final List<String> timeline = new ArrayList<>();

    ClientEvents(long startNanos) {
        this.startNanos = startNanos;
    }

    @Override
    public synchronized void onEvent(ConnectionEvent event) {
        events.add(event.type().name());
        timeline.add(String.format("t=%.2fs %s %s", Figures.seconds(startNanos, System.nanoTime()), event.type(),
                event.reason()));
    }

    @Override
    public synchronized void onServerError(ErrorCode code, String reason) {
        errors.add(code.name());
        timeline.add(String.format("t=%.2fs ERR %s %s", Figures.seconds(startNanos, System.nanoTime()), code, reason));
    }

    synchronized String events() {
        return Figures.tally(events);
    }

    synchronized String errors() {
        return Figures.tally(errors);
    }

    /** The first {@code max} events, for people. */
    private synchronized List<String> timeline(int max) {
        return List.copyOf(timeline.subList(0, Math.min(max, timeline.size())));
    }

    /** Says the first eight events, one line each. */
    void sayTimeline(Figures f) {
        for (String e : timeline(8)) {
            f.say("client: " + e);
        }
    }
}
