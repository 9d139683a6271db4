package io.courier.broker.session;

import io.courier.broker.routing.LastValues;

/**
 * What sessions share for UDP and resynchronisation: the UDP bindings ({@code null} when UDP is off) and the last
 * values kept for LAST (which TCP-only clients may use too).
 */
public record UdpSide(UdpBindings bindings, LastValues lastValues) {

    /** No UDP, no last values: for rigs and tests without a UDP socket. */
    public static UdpSide off() {
        return new UdpSide(null, LastValues.none());
    }
}
