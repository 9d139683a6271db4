package io.courier.protocol;

import java.util.List;
import java.util.Objects;

/**
 * A publish forwarded from the broker it was published on to another broker of the cluster, which delivers it to
 * its own subscribers only: to every plain subscription that matches, and to one member of each queue group in
 * {@code groups} (the origin chose this broker to serve those groups). Its body after the groups is exactly a PUB's.
 */
public record RoutePublish(List<String> groups, Publish publish) implements Frame {

    public RoutePublish {
        groups = List.copyOf(groups);
        Objects.requireNonNull(publish, "publish");
    }

    @Override
    public FrameType type() {
        return FrameType.ROUTE_PUB;
    }
}
