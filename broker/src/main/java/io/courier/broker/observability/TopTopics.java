package io.courier.broker.observability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The most published topics, estimated from a sample: each publishing link reports one publish in
 * {@value #SAMPLE_EVERY} (a plain counter of its own decides which), so the hot path pays one increment and a
 * branch. The table is bounded: past {@value #MAX_TOPICS} topics the less frequent half is dropped and the rest is
 * halved, so topics used once (reply inboxes) do not fill it and a new hot topic soon shows.
 */
public final class TopTopics {

    /** One publish in this many is sampled; a power of two. */
    public static final int SAMPLE_EVERY = 64;
    static final int MAX_TOPICS = 1024;

    /** A topic and its estimated publishes. */
    public record Entry(String topic, long publishes) { }

    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** Whether the publish numbered {@code n} on a link is to be sampled. */
    public static boolean sampled(long n) {
        return (n & (SAMPLE_EVERY - 1)) == 0;
    }

    /** One sampled publish on {@code topic}. */
    public void sample(String topic) {
        LongAdder c = counts.get(topic);
        if (c == null) {
            if (counts.size() >= MAX_TOPICS) {
                trim();
            }
            c = counts.computeIfAbsent(topic, t -> new LongAdder());
        }
        c.increment();
    }

    /** The {@code n} most published topics, most first, with estimated counts (sampled count times the rate). */
    public List<Entry> top(int n) {
        List<Entry> all = new ArrayList<>(counts.size());
        for (Map.Entry<String, LongAdder> e : counts.entrySet()) {
            all.add(new Entry(e.getKey(), e.getValue().sum() * SAMPLE_EVERY));
        }
        all.sort(Comparator.comparingLong(Entry::publishes).reversed().thenComparing(Entry::topic));
        return all.size() > n ? all.subList(0, n) : all;
    }

    private synchronized void trim() {
        if (counts.size() < MAX_TOPICS) {
            return;
        }
        long[] values = counts.values().stream().mapToLong(LongAdder::sum).sorted().toArray();
        long median = values[values.length / 2];
        counts.entrySet().removeIf(e -> e.getValue().sum() <= median);
        counts.values().forEach(c -> {
            long half = c.sum() / 2;
            c.add(-half);
        });
    }
}
