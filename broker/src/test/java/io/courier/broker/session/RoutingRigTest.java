package io.courier.broker.session;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark seam routes through the real session classes: one MSG per matching subscriber, none otherwise. */
class RoutingRigTest {

    @Test
    void routesEveryPubToEachSubscriberAndDrainsTheirOutboxes() {
        RoutingRig rig = new RoutingRig(3, "orders.*.created");
        ByteString pub = RoutingRig.pubFrame("orders.eu.created", 128);

        rig.receive(pub.concat(pub));

        // A MSG is the PUB's frame plus the subscription id (4 bytes).
        assertThat(rig.drain()).isEqualTo(2 * 3 * (pub.size() + 4));
        assertThat(rig.drain()).isZero();
    }

    @Test
    void deliversNothingForATopicNobodySubscribedTo() {
        RoutingRig rig = new RoutingRig(2, "orders.eu.created");

        rig.receive(RoutingRig.pubFrame("invoices.eu.created", 16));

        assertThat(rig.drain()).isZero();
    }
}
