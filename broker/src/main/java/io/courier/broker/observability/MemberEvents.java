package io.courier.broker.observability;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

import java.util.Locale;

/**
 * Turns Pekko Cluster's membership and reachability events into {@code $SYS.cluster.member_*} system events. Each
 * broker runs one and publishes to its own subscribers only ({@link SystemEvents#member}).
 */
public final class MemberEvents {

    private MemberEvents() {
    }

    public static Behavior<ClusterEvent.ClusterDomainEvent> create(SystemEvents events) {
        return Behaviors.setup(context -> {
            Cluster cluster = Cluster.get(context.getSystem());
            cluster.subscriptions().tell(Subscribe.create(context.getSelf().narrow(), ClusterEvent.MemberEvent.class));
            cluster.subscriptions().tell(Subscribe.create(context.getSelf().narrow(),
                    ClusterEvent.ReachabilityEvent.class));
            return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
                    .onMessage(ClusterEvent.MemberUp.class, e -> tell(events, "up", e.member()))
                    .onMessage(ClusterEvent.MemberRemoved.class, e -> tell(events, "removed", e.member()))
                    .onMessage(ClusterEvent.UnreachableMember.class, e -> tell(events, "unreachable", e.member()))
                    .onMessage(ClusterEvent.ReachableMember.class, e -> tell(events, "reachable", e.member()))
                    .onAnyMessage(e -> Behaviors.same())
                    .build();
        });
    }

    private static Behavior<ClusterEvent.ClusterDomainEvent> tell(SystemEvents events, String kind, Member m) {
        events.member(kind, m.address().toString(),
                m.status().toString().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT));
        return Behaviors.same();
    }
}
