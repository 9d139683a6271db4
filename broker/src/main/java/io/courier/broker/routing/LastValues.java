package io.courier.broker.routing;

import io.courier.broker.UdpStats;
import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The last message of every topic that matches {@code courier.last-value.patterns}, for clients that resynchronise
 * over TCP after a gap (LAST). Publishers' threads write it; a session answering LAST reads it. Only this broker's own
 * publishes (TCP and UDP) are kept: in a cluster, each broker keeps the last values published on it.
 */
public final class LastValues {

    /** Topics whose verdict (kept or not) is remembered; past it the verdicts are forgotten and found again. */
    private static final int MAX_VERDICTS = 100_000;

    private final List<String> patterns;
    private final int maxTopics;
    private final long maxBytes;
    /** Payload bytes kept, approximately (updated after each change, so briefly off under concurrent writes). */
    private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    private final UdpStats stats;
    private final ConcurrentHashMap<String, Boolean> verdicts = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, ByteString> values = new ConcurrentSkipListMap<>();
    private final AtomicInteger size = new AtomicInteger();

    public LastValues(List<String> patterns, int maxTopics, long maxBytes, UdpStats stats) {
        this.patterns = List.copyOf(patterns);
        this.maxTopics = maxTopics;
        this.maxBytes = maxBytes;
        this.stats = stats;
    }

    /** None kept: publishers skip {@link #offer} entirely. */
    public static LastValues none() {
        return new LastValues(List.of(), 1, 1, new UdpStats());
    }

    public boolean isActive() {
        return !patterns.isEmpty();
    }

    /**
     * A message was published to {@code topic} with PUB body {@code body}: keep a copy when the topic is one whose
     * last value is kept (a copy, so that the socket read it arrived in is not pinned for as long as it is the last).
     */
    public void offer(String topic, ByteString body) {
        if (!keeps(topic)) {
            return;
        }
        ByteString copy = ByteString.fromArrayUnsafe(body.toArray());
        ByteString old = values.get(topic);
        if (bytes.get() + copy.size() - (old == null ? 0 : old.size()) > maxBytes) {
            // Past the byte budget a topic keeps the value it has (or none): a stale value, never an unbounded heap.
            stats.lastValueRefused();
            return;
        }
        old = values.replace(topic, copy);
        if (old != null) {
            bytes.addAndGet(copy.size() - old.size());
            return;
        }
        if (size.incrementAndGet() > maxTopics) {
            size.decrementAndGet();
            stats.lastValueRefused();
            return;
        }
        old = values.putIfAbsent(topic, copy);
        if (old != null) {
            size.decrementAndGet();
            old = values.put(topic, copy);
        }
        bytes.addAndGet(copy.size() - (old == null ? 0 : old.size()));
    }

    /** The last values of the topics {@code pattern} matches, in topic order: (topic, PUB body). */
    public List<Map.Entry<String, ByteString>> matching(String pattern) {
        List<Map.Entry<String, ByteString>> out = new ArrayList<>();
        if (!isActive()) {
            return out;
        }
        for (Map.Entry<String, ByteString> e : values.entrySet()) {
            if (Topic.matches(pattern, e.getKey())) {
                out.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    /** Bytes of the values kept now. */
    public long bytes() {
        return bytes.get();
    }

    /** Topics kept now. */
    public int size() {
        return size.get();
    }

    private boolean keeps(String topic) {
        Boolean known = verdicts.get(topic);
        if (known != null) {
            return known;
        }
        boolean keep = false;
        for (String p : patterns) {
            if (Topic.matches(p, topic)) {
                keep = true;
                break;
            }
        }
        if (verdicts.size() >= MAX_VERDICTS) {
            verdicts.clear();
        }
        verdicts.put(topic, keep);
        return keep;
    }
}
