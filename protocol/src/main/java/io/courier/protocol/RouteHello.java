package io.courier.protocol;

import java.util.Objects;

/**
 * The first frame on a route link between two brokers of a cluster: the calling node's id and the incarnation it
 * runs (a restarted node has a new one), so that the receiving node accepts the link only from a current member.
 */
public record RouteHello(String nodeId, long incarnation) implements Frame {

    public RouteHello {
        Objects.requireNonNull(nodeId, "nodeId");
    }

    @Override
    public FrameType type() {
        return FrameType.ROUTE_HELLO;
    }
}
