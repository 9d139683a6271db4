package io.courier.broker.session;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Established connections per source address, against {@code courier.limits.max-connections-per-address}: one
 * host (or a botnet behind one NAT) cannot take every slot of {@code max-connections}. Thread-safe; an address is
 * forgotten when its last connection closes, so the map holds only addresses that are connected.
 */
final class AddressSlots {

    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> held = new ConcurrentHashMap<>();

    AddressSlots(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Takes a slot for {@code address}; false when it has {@code max} already. */
    boolean tryCharge(InetAddress address) {
        boolean[] charged = {false};
        held.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            charged[0] = true;
            return now + 1;
        });
        return charged[0];
    }

    void release(InetAddress address) {
        held.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
}
