package io.courier.broker.auth;

import io.courier.protocol.Topic;

import java.util.List;

/**
 * What one user may do: publish to topics and subscribe to patterns, each an allow list and a deny list of
 * patterns. Deny wins. A topic may be published when an allow pattern matches it and no deny pattern does. A pattern
 * may be subscribed when an allow pattern covers all of it and no deny pattern overlaps it at all: a subscription
 * to {@code orders.>} is refused when {@code orders.secret} is denied, since it would receive those messages too
 * (the check is made once, at SUB, so delivering costs nothing). The reply topic of a request is checked against
 * the subscribe rules: a client may only ask for answers on a topic it could subscribe to, so it cannot make a
 * responder publish where the client itself may not listen.
 *
 * <p>Clients never publish to {@code $SYS.} topics: those are the broker's own.
 */
public record Permissions(Rules publish, Rules subscribe) {

    /** Everything allowed (but publishing to {@code $SYS.}). */
    public static final Permissions ALL = new Permissions(Rules.ALL, Rules.ALL);

    /** Nothing allowed: what a revoked grant holds until its connection has closed. */
    public static final Permissions NONE = new Permissions(Rules.NONE, Rules.NONE);

    /** Topics reserved for the broker's own events. */
    public static final String SYSTEM_PREFIX = "$SYS.";

    /** One direction's allow and deny patterns. */
    public record Rules(List<String> allow, List<String> deny) {

        /** Everything: {@code >} does not reach the broker's {@code $SYS.} topics, so they are named too. */
        public static final Rules ALL = new Rules(List.of(">", "$SYS.>"), List.of());

        public static final Rules NONE = new Rules(List.of(), List.of());

        public Rules {
            allow = List.copyOf(allow);
            deny = List.copyOf(deny);
        }

        /** Whether nothing is ever refused: the check can be skipped. */
        public boolean unrestricted() {
            return deny.isEmpty() && allow.contains(">") && allow.contains("$SYS.>");
        }

        /** Whether {@code pattern} (a topic, or a subscription pattern) is allowed. */
        public boolean permits(String pattern) {
            for (String d : deny) {
                if (Topic.overlaps(d, pattern)) {
                    return false;
                }
            }
            for (String a : allow) {
                if (Topic.covers(a, pattern)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether this user may publish to {@code topic} (a valid topic). */
    public boolean mayPublish(String topic) {
        return !topic.startsWith(SYSTEM_PREFIX) && (publish.unrestricted() || publish.permits(topic));
    }

    /** Whether this user may subscribe to {@code pattern}, or use it as a request's reply topic. */
    public boolean maySubscribe(String pattern) {
        return subscribe.unrestricted() || subscribe.permits(pattern);
    }
}
