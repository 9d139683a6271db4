package io.courier.broker;

import java.util.concurrent.atomic.LongAdder;

/** The UDP listener's counters: what came in, went out, and what was dropped and why. Any thread. */
public final class UdpStats {

    private final LongAdder datagramsIn = new LongAdder();
    private final LongAdder datagramsOut = new LongAdder();
    private final LongAdder unknownToken = new LongAdder();
    private final LongAdder wrongSource = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder refusedPublishes = new LongAdder();
    private final LongAdder senderGaps = new LongAdder();
    private final LongAdder tooLarge = new LongAdder();
    private final LongAdder unbound = new LongAdder();
    private final LongAdder kernelFull = new LongAdder();
    private final LongAdder windowDrops = new LongAdder();
    private final LongAdder sendErrors = new LongAdder();
    private final LongAdder binds = new LongAdder();
    private final LongAdder idleUnbinds = new LongAdder();
    private final LongAdder resyncs = new LongAdder();
    private final LongAdder lastValuesRefused = new LongAdder();
    private final LongAdder inboundDrops = new LongAdder();
    private final LongAdder oversized = new LongAdder();

    /** Datagrams dropped on arrival because their endpoint had 1,024 of them waiting for its actor already. */
    public long inboundDrops() {
        return inboundDrops.sum();
    }

    public void inboundDropped() {
        inboundDrops.increment();
    }

    /** Datagrams dropped on arrival because they were larger than {@code courier.udp.max-datagram}. */
    public long oversized() {
        return oversized.sum();
    }

    public void oversizedDropped() {
        oversized.increment();
    }

    /** The counters at one moment, as {@code /api/server} shows them. */
    public record Counts(long datagramsIn, long datagramsOut, long unknownToken, long wrongSource, long malformed,
                         long refusedPublishes, long senderGaps, long inboundDrops, long tooLarge, long unbound,
                         long kernelFull, long windowDrops, long sendErrors, long binds, long idleUnbinds,
                         long resyncs, long lastValuesRefused, long oversized) { }

    public Counts counts() {
        return new Counts(datagramsIn(), datagramsOut(), unknownToken(), wrongSource(), malformed(),
                refusedPublishes(), senderGaps(), inboundDrops(), tooLarge(), unbound(), kernelFull(), windowDrops(),
                sendErrors(), binds(), idleUnbinds(), resyncs(), lastValuesRefused(), oversized());
    }

    /** Datagrams received, well formed or not. */
    public long datagramsIn() {
        return datagramsIn.sum();
    }

    /** Datagrams the kernel took for sending. */
    public long datagramsOut() {
        return datagramsOut.sum();
    }

    /** Datagrams dropped because their token names no open session. */
    public long unknownToken() {
        return unknownToken.sum();
    }

    /** Datagrams dropped because they came from another address than the one their session bound. */
    public long wrongSource() {
        return wrongSource.sum();
    }

    /** Datagrams dropped as malformed: a bad head or a delivery whose fields do not fill it. */
    public long malformed() {
        return malformed.sum();
    }

    /** Well-formed publishes refused: invalid topic, payload over the broker's maximum. */
    public long refusedPublishes() {
        return refusedPublishes.sum();
    }

    /** Publishes the senders' sequence numbers say never arrived (lost on the way in). */
    public long senderGaps() {
        return senderGaps.sum();
    }

    /** Messages for a UDP subscriber that do not fit a datagram, not sent. */
    public long tooLarge() {
        return tooLarge.sum();
    }

    /** Messages for a UDP subscriber whose endpoint is not bound (yet, or any more), not sent. */
    public long unbound() {
        return unbound.sum();
    }

    /** Sends the kernel refused because the socket's buffer was full (the datagram waited in its window). */
    public long kernelFull() {
        return kernelFull.sum();
    }

    /** Datagrams dropped from a full window, oldest first. */
    public long windowDrops() {
        return windowDrops.sum();
    }

    /** Sends that failed with an I/O error (an unreachable address, a closed socket). */
    public long sendErrors() {
        return sendErrors.sum();
    }

    /** Endpoints bound (or bound again) by a HELLO. */
    public long binds() {
        return binds.sum();
    }

    /** Endpoints unbound after the idle timeout. */
    public long idleUnbinds() {
        return idleUnbinds.sum();
    }

    /** LAST requests answered. */
    public long resyncs() {
        return resyncs.sum();
    }

    /** Last values not kept because courier.last-value.max-topics topics are kept already. */
    public long lastValuesRefused() {
        return lastValuesRefused.sum();
    }

    public void datagramIn() {
        datagramsIn.increment();
    }

    public void datagramOut() {
        datagramsOut.increment();
    }

    public void unknownTokenDropped() {
        unknownToken.increment();
    }

    public void wrongSourceDropped() {
        wrongSource.increment();
    }

    public void malformedDropped() {
        malformed.increment();
    }

    public void publishRefused() {
        refusedPublishes.increment();
    }

    public void senderGap(long missing) {
        senderGaps.add(missing);
    }

    public void tooLargeDropped() {
        tooLarge.increment();
    }

    public void unboundDropped() {
        unbound.increment();
    }

    public void kernelWasFull() {
        kernelFull.increment();
    }

    public void windowDropped() {
        windowDrops.increment();
    }

    public void sendFailed() {
        sendErrors.increment();
    }

    public void bound() {
        binds.increment();
    }

    public void idleUnbound() {
        idleUnbinds.increment();
    }

    public void resynced() {
        resyncs.increment();
    }

    public void lastValueRefused() {
        lastValuesRefused.increment();
    }
}
