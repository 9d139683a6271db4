package io.courier.broker.session;

import org.apache.pekko.actor.typed.ActorRef;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The datagrams one {@link UdpEndpoint} actor has yet to handle, filled by the socket's thread. The actor is told
 * {@link UdpEndpoint.Drain} only when its inbox goes from empty to not empty, and then takes everything that has
 * come since: a client sending faster than its datagrams are routed costs one actor message per burst, not one per
 * datagram (each was a thread wake-up on the dispatcher). An endpoint holds at most {@link #LIMIT} datagrams and all
 * endpoints together at most their {@link Budget} of bytes ({@code courier.udp.max-waiting-total}): a flood costs
 * the broker bounded heap, whichever endpoints it comes through.
 */
final class UdpInbox {

    /**
     * Datagrams that may wait: at 60,000 a second, 68 ms of an actor not getting a thread (a CPU-starved host) before
     * one is dropped; at most 5.7 MB at the default max-datagram, and the budget bounds all endpoints together.
     */
    static final int LIMIT = 4096;
    /** Datagrams the actor handles per message before it lets other actors have the thread. */
    static final int BATCH = 64;

    private final Budget budget;
    private final ConcurrentLinkedQueue<byte[]> waiting = new ConcurrentLinkedQueue<>();
    /**
     * Datagrams added and not yet handled. Each is added to the queue before it is counted, so a count above zero
     * always has its datagrams in the queue, and whoever moves it from zero to one owes the actor a Drain. The
     * actor may take a datagram before the socket's thread has counted it (the count dips below zero for a moment);
     * the datagram is then handled, and that late count finds zero and tells a Drain that finds nothing.
     */
    private final AtomicInteger count = new AtomicInteger();

    UdpInbox(Budget budget) {
        this.budget = budget;
    }

    /**
     * The socket's thread (the only one that adds): false, and nothing kept, while {@link #LIMIT} are waiting or the
     * budget has no room for it.
     */
    boolean offer(byte[] datagram, ActorRef<UdpEndpoint.Command> actor) {
        if (count.get() >= LIMIT || !budget.tryCharge(datagram.length)) {
            return false;
        }
        waiting.add(datagram);
        if (count.getAndIncrement() == 0) {
            actor.tell(UdpEndpoint.Drain.INSTANCE);
        }
        return true;
    }

    /**
     * The actor: hands up to {@link #BATCH} waiting datagrams to {@code handler}; true when more are waiting, and the
     * actor must drain again (no one else will tell it).
     */
    boolean drain(Consumer<byte[]> handler) {
        int n = 0;
        long bytes = 0;
        byte[] datagram;
        try {
            while (n < BATCH && (datagram = waiting.poll()) != null) {
                n++;
                bytes += datagram.length;
                handler.accept(datagram);
            }
        } finally {
            budget.release(bytes);
        }
        return count.addAndGet(-n) > 0;
    }
}
