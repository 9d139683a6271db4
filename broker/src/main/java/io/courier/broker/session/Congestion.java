package io.courier.broker.session;

import io.courier.broker.routing.PublisherFlow;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A publishing session's flow control: the subscriber queues its last PUBs filled past their high-water mark, which
 * its {@link SessionSink} then waits on (and clears). Touched by the session's stage only.
 */
final class Congestion implements PublisherFlow {

    private final Set<PublisherFlow.Drain> queues = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Most publishes fill the queue the one before filled: skip the set for it. */
    private PublisherFlow.Drain last;

    @Override
    public void congested(PublisherFlow.Drain queue) {
        if (queue != last) {
            queues.add(queue);
            last = queue;
        }
    }

    /** The queues to wait on; the caller empties the set. */
    Set<PublisherFlow.Drain> take() {
        last = null;
        return queues;
    }
}
