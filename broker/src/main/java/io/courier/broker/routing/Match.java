package io.courier.broker.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The subscriptions a topic matches, split into plain subscriptions (each gets the message) and queue groups
 * (one member per group gets it). Immutable, so a cached match is shared by all publishing threads.
 */
public final class Match {

    static final Match EMPTY = new Match(new Subscription[0], new Subscription[0][], 0);

    private final Subscription[] plain;
    private final Subscription[][] groups;
    final long generation;

    private Match(Subscription[] plain, Subscription[][] groups, long generation) {
        this.plain = plain;
        this.groups = groups;
        this.generation = generation;
    }

    static Match of(List<Subscription> found, long generation) {
        if (found.isEmpty()) {
            return generation == 0 ? EMPTY : new Match(EMPTY.plain, EMPTY.groups, generation);
        }
        List<Subscription> plain = new ArrayList<>(found.size());
        Map<String, List<Subscription>> groups = null;
        for (Subscription s : found) {
            if (s.inQueueGroup()) {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                groups.computeIfAbsent(s.queueGroup(), g -> new ArrayList<>()).add(s);
            } else {
                plain.add(s);
            }
        }
        Subscription[][] groupArray = new Subscription[groups == null ? 0 : groups.size()][];
        if (groups != null) {
            int i = 0;
            for (List<Subscription> members : groups.values()) {
                groupArray[i++] = members.toArray(new Subscription[0]);
            }
        }
        return new Match(plain.toArray(new Subscription[0]), groupArray, generation);
    }

    public boolean isEmpty() {
        return plain.length == 0 && groups.length == 0;
    }

    /** Plain subscriptions; each receives every message. */
    public List<Subscription> plain() {
        return List.of(plain);
    }

    /** Queue groups; each array holds the members of one group name. */
    public List<List<Subscription>> queueGroups() {
        List<List<Subscription>> out = new ArrayList<>(groups.length);
        for (Subscription[] g : groups) {
            out.add(List.of(g));
        }
        return out;
    }

    Subscription[] plainArray() {
        return plain;
    }

    Subscription[][] groupArrays() {
        return groups;
    }

    /** A random member of a group: spreads load without a shared counter that every publisher would contend on. */
    static Subscription pick(Subscription[] group) {
        return group.length == 1 ? group[0] : group[ThreadLocalRandom.current().nextInt(group.length)];
    }
}
