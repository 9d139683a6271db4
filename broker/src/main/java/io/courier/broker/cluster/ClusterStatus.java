package io.courier.broker.cluster;

import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The cluster as one broker sees it, for {@code /api/cluster} and {@code courier cluster status}: every member
 * Pekko Cluster knows (its status and whether this broker's failure detector reaches it) joined with what that
 * member told this broker of itself (its client address, clients, interest entries) and whether the route link to
 * it is up.
 *
 * @param self   this broker's node id (its cluster address)
 * @param leader the cluster leader's node id, "" while there is none
 */
public record ClusterStatus(String self, String leader, List<MemberStatus> members) {

    /**
     * One member.
     *
     * @param status   Pekko's member status in lower case: joining, weakly-up, up, leaving, exiting, down, removed
     * @param reachable false once this broker's failure detector has flagged it (before the split brain resolver
     *                 decides)
     * @param clients  client connections open on it now (-1 while it has not said yet)
     * @param interest distinct pattern and queue group entries its clients subscribe to (-1 while unknown)
     * @param routed   whether this broker's route link to it is connected (true for self)
     */
    public record MemberStatus(String node, String status, boolean reachable, boolean self, String clientAddress,
                               int clients, int interest, boolean routed) { }

    /** Reads Pekko's current view (safe from any thread) and the peers' reports in {@code view}. */
    public static ClusterStatus of(Cluster cluster, ClusterNode.View view, String selfClientAddress, int selfClients,
                                   int selfInterest) {
        ClusterEvent.CurrentClusterState state = cluster.state();
        String selfNode = cluster.selfMember().address().toString();
        Set<String> unreachable = new HashSet<>();
        for (Member m : state.getUnreachable()) {
            unreachable.add(m.address().toString());
        }
        Map<String, ClusterNode.PeerView> peers = view.peers().stream()
                .collect(Collectors.toMap(ClusterNode.PeerView::nodeId, Function.identity()));
        List<MemberStatus> members = new ArrayList<>();
        for (Member m : state.getMembers()) {
            String node = m.address().toString();
            String status = m.status().toString().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
            boolean isSelf = node.equals(selfNode);
            ClusterNode.PeerView p = peers.get(node);
            if (isSelf) {
                members.add(new MemberStatus(node, status, true, true, selfClientAddress, selfClients, selfInterest,
                        true));
            } else {
                members.add(new MemberStatus(node, status, !unreachable.contains(node), false,
                        p == null ? "" : p.clientAddress(), p == null ? -1 : p.clients(),
                        p == null ? -1 : p.interest(), p != null && p.routed()));
            }
        }
        String leader = state.getLeader() == null ? "" : state.getLeader().toString();
        return new ClusterStatus(selfNode, leader, members);
    }
}
