package io.courier.bench.hardening;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Unsubscribe;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Subscription churn: 10 raw connections each pipeline 10,000 SUBs (distinct sids, all for {@code churn.>}) and
 * then PING to learn when they were handled. Meanwhile a bystander PINGs every 5 ms and a raw publisher streams
 * 128 B messages to {@code steady.t}, counted by a raw subscriber. The same publish and PING measurement runs
 * first for {@code --window} seconds without churn, as the baseline. {@code --unsubscribe}: once all SUBs are
 * confirmed, each connection UNSUBs all of its sids, timed the same way.
 */
@Command(name = "churn", mixinStandardHelpOptions = true,
        description = "100,000 SUBs on 10 connections vs a PING bystander and a steady publisher.")
final class ChurnScenario implements Callable<Integer> {

    private static final String STEADY = "steady.t";
    private static final String PATTERN = "churn.>";

    @Mixin
    Target target;

    @Option(names = "--unsubscribe", description = "UNSUB every subscription afterwards, and time that too")
    boolean unsubscribe;

    @Option(names = "--connections", defaultValue = "10", description = "default: ${DEFAULT-VALUE}")
    int connections;

    @Option(names = "--subs", defaultValue = "10000", description = "SUBs per connection (default: ${DEFAULT-VALUE})")
    int subsPerConnection;

    @Option(names = "--window", defaultValue = "10", description = "seconds of the baseline, and of the window "
            + "measured from the start of the churn (default: ${DEFAULT-VALUE})")
    int windowSeconds;

    /** Paced well below what the broker can take, so the baseline PING round trip is not queueing behind it. */
    @Option(names = "--steady-rate", defaultValue = "20000",
            description = "steady publisher's messages/s; 0 = as fast as it can (default: ${DEFAULT-VALUE})")
    double steadyRate;

    @Option(names = "--spread", defaultValue = "0", description = "seconds over which each connection sends its "
            + "SUBs, in 20 writes; 0 = all in one write (default: ${DEFAULT-VALUE})")
    double spreadSeconds;

    @Option(names = "--churn-limit", defaultValue = "50", description = "seconds the churn may take (default: ${DEFAULT-VALUE})")
    int churnLimitSeconds;

    /** One churning connection's timings (nanoTime; 0 = not reached). */
    private static final class Churner {
        final RawLink link;
        volatile long subscribedAt;
        volatile long unsubscribedAt;
        volatile String failure = "none";

        Churner(RawLink link) {
            this.link = link;
        }
    }

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("churn", unsubscribe ? "unsubscribe" : "subscribe");
        BrokerProcess broker = target.broker();
        InetSocketAddress address = target.address();

        RawLink subLink = RawLink.subscriber(address, "churn-steady-sub", 0, STEADY);
        CountingSubscriber steadySub = CountingSubscriber.start(subLink, 0);
        RawLink pubLink = RawLink.connect(address, "churn-steady-pub", 0);
        pubLink.discardIncoming();
        RawLink byLink = RawLink.connect(address, "churn-bystander", 0);
        Bystander bystander = new Bystander(byLink, TimeUnit.MILLISECONDS.toNanos(5));

        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch unsubGo = new CountDownLatch(1);
        List<Churner> churners = new ArrayList<>();
        List<Thread> churnThreads = new ArrayList<>();
        long[] churnStart = new long[1];
        for (int i = 0; i < connections; i++) {
            RawLink l = RawLink.connect(address, "churn-" + i, 0);
            Churner c = new Churner(l);
            churners.add(c);
            churnThreads.add(HardeningCommand.daemon(l.name(), () -> churn(c, go, unsubGo)));
        }
        f.say(String.format("%d connections x %d SUB %s%s; bystander PING every 5 ms; steady publisher 128 B to %s "
                        + "(%s); baseline %d s", connections, subsPerConnection, PATTERN,
                unsubscribe ? " then UNSUB all" : "", STEADY, steadyRate > 0 ? steadyRate + "/s" : "as fast as it can",
                windowSeconds));

        long t0 = System.nanoTime();
        RawPublisher steadyPub = new RawPublisher(pubLink, STEADY, 128, steadyRate, Long.MAX_VALUE);
        steadyPub.start(t0, t0 + TimeUnit.SECONDS.toNanos(target.timeLimitSeconds));
        bystander.start();
        Thread.sleep(1000);

        // Baseline.
        Interval baseline = Interval.begin(steadyPub, steadySub);
        List<Long> baselineSeries = perSecond(steadySub, windowSeconds);
        baseline.end();

        // Churn.
        Interval subChurn = Interval.begin(steadyPub, steadySub);
        churnStart[0] = subChurn.startNanos;
        long limit = subChurn.startNanos + TimeUnit.SECONDS.toNanos(churnLimitSeconds);
        long windowEnd = subChurn.startNanos + TimeUnit.SECONDS.toNanos(windowSeconds);
        long windowDelivered = -1;
        long windowPublished = -1;
        List<Long> churnSeries = new ArrayList<>();
        long nextSample = subChurn.startNanos + 1_000_000_000L;
        long lastSampleCount = steadySub.messages();
        Interval unsubChurn = null;
        long unsubStart = 0;
        go.countDown();
        while (System.nanoTime() < limit) {
            Thread.sleep(5);
            long now = System.nanoTime();
            if (now >= nextSample) {
                nextSample += 1_000_000_000L;
                long c = steadySub.messages();
                churnSeries.add(c - lastSampleCount);
                lastSampleCount = c;
            }
            if (windowDelivered < 0 && now >= windowEnd) {
                windowDelivered = steadySub.messages() - subChurn.delivered0;
                windowPublished = steadyPub.sent() - subChurn.published0;
            }
            if (subChurn.endNanos == 0 && allReached(churners, false)) {
                subChurn.end();
                f.say(String.format("all %d SUBs confirmed after %.2f s", connections * subsPerConnection,
                        subChurn.seconds()));
                if (unsubscribe) {
                    unsubChurn = Interval.begin(steadyPub, steadySub);
                    unsubStart = unsubChurn.startNanos;
                    unsubGo.countDown();
                }
            }
            if (unsubChurn != null && unsubChurn.endNanos == 0 && allReached(churners, true)) {
                unsubChurn.end();
                f.say(String.format("all UNSUBs confirmed after %.2f s", unsubChurn.seconds()));
            }
            boolean churnDone = subChurn.endNanos != 0 && (!unsubscribe || (unsubChurn != null && unsubChurn.endNanos != 0));
            if (churnDone && windowDelivered >= 0) {
                break;
            }
            if (!broker.alive()) {
                f.say("the broker died");
                break;
            }
        }
        if (subChurn.endNanos == 0) {
            subChurn.end();
            f.say("the SUBs were not all confirmed within " + churnLimitSeconds + " s");
        }
        if (unsubscribe && unsubChurn != null && unsubChurn.endNanos == 0) {
            unsubChurn.end();
            f.say("the UNSUBs were not all confirmed within the limit");
        }
        BrokerProcess.Memory memory = broker.memory();
        bystander.stop();
        bystander.awaitAnswers(3000);
        baseline.rtt = bystander.between(baseline.startNanos, baseline.endNanos);
        subChurn.rtt = bystander.between(subChurn.startNanos, subChurn.endNanos);
        if (unsubChurn != null) {
            unsubChurn.rtt = bystander.between(unsubChurn.startNanos, unsubChurn.endNanos);
        }
        pubLink.close();
        steadySub.stop();
        unsubGo.countDown();
        for (Churner c : churners) {
            c.link.close();
        }

        List<String> errs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        double slowestSub = 0;
        double slowestUnsub = 0;
        int confirmed = 0;
        for (Churner c : churners) {
            errs.addAll(c.link.errors());
            if (!c.failure.equals("none")) {
                failures.add(c.failure);
            }
            if (c.subscribedAt != 0) {
                confirmed++;
                slowestSub = Math.max(slowestSub, Figures.seconds(churnStart[0], c.subscribedAt));
            }
            if (c.unsubscribedAt != 0) {
                slowestUnsub = Math.max(slowestUnsub, Figures.seconds(unsubStart, c.unsubscribedAt));
            }
        }
        f.say("steady delivered per second, baseline: " + baselineSeries);
        f.say("steady delivered per second, churn:    " + churnSeries);
        f.say("bystander baseline: " + Bystander.describe(baseline.rtt));
        f.say("bystander SUB churn: " + Bystander.describe(subChurn.rtt));
        f.put("subs", (long) connections * subsPerConnection).put("connections_confirmed", confirmed)
                .put("all_subs_confirmed_s", confirmed == connections ? slowestSub : -1.0)
                .put("churn_errs", Figures.tally(errs)).put("churn_failures", Figures.tally(failures))
                .put("baseline_s", baseline.seconds())
                .put("baseline_published_per_s", baseline.published() / baseline.seconds())
                .put("baseline_delivered_per_s", baseline.delivered() / baseline.seconds())
                .put("churn_s", subChurn.seconds())
                .put("churn_published_per_s", subChurn.published() / subChurn.seconds())
                .put("churn_delivered_per_s", subChurn.delivered() / subChurn.seconds())
                .put("window_delivered_per_s", windowDelivered < 0 ? -1.0 : windowDelivered / (double) windowSeconds)
                .put("window_published_per_s", windowPublished < 0 ? -1.0 : windowPublished / (double) windowSeconds)
                .put("baseline_worst_second", min(baselineSeries)).put("churn_worst_second", min(churnSeries));
        putRtt(f, "bystander_baseline", baseline.rtt);
        putRtt(f, "bystander_churn", subChurn.rtt);
        if (unsubscribe && unsubChurn != null) {
            f.say("bystander UNSUB churn: " + Bystander.describe(unsubChurn.rtt));
            f.put("all_unsubs_confirmed_s", allReached(churners, true) ? slowestUnsub : -1.0)
                    .put("unsub_delivered_per_s", unsubChurn.delivered() / unsubChurn.seconds());
            putRtt(f, "bystander_unsub", unsubChurn.rtt);
        }
        f.put("steady_sub_fate", subLink.fate()).put("steady_sub_errs", subLink.errorList())
                .put("steady_pub_errs", pubLink.errorList()).put("bystander_errs", byLink.errorList())
                .put("bystander_unanswered", bystander.outstanding());
        broker.report(f, memory);
        subLink.close();
        byLink.close();
        for (Thread t : churnThreads) {
            t.join(1000);
        }
        f.print();
        return 0;
    }

    /** Sends all SUBs in one write, then PING; waits for the PONG; then, on {@code unsubGo}, the same with UNSUBs. */
    private void churn(Churner c, CountDownLatch go, CountDownLatch unsubGo) {
        ByteBuffer subs = ByteBuffer.allocate(subsPerConnection
                * FrameCodec.encodedSize(new Subscribe(Integer.MAX_VALUE, PATTERN, "")));
        ByteBuffer unsubs = ByteBuffer.allocate(subsPerConnection * FrameCodec.encodedSize(new Unsubscribe(1, 0)));
        for (int sid = 1; sid <= subsPerConnection; sid++) {
            FrameCodec.encode(new Subscribe(sid, PATTERN, ""), subs);
            FrameCodec.encode(new Unsubscribe(sid, 0), unsubs);
        }
        Duration limit = Duration.ofSeconds(churnLimitSeconds);
        try {
            go.await();
            writeSpread(c.link, subs.array(), subs.position());
            if (!c.link.flush(limit, fr -> { })) {
                c.failure = "sub-no-pong-" + c.link.fate();
                return;
            }
            c.subscribedAt = System.nanoTime();
            if (!unsubscribe) {
                return;
            }
            unsubGo.await();
            if (!c.link.isOpen()) {
                return;
            }
            c.link.write(unsubs.array(), 0, unsubs.position());
            if (!c.link.flush(limit, fr -> { })) {
                c.failure = "unsub-no-pong-" + c.link.fate();
                return;
            }
            c.unsubscribedAt = System.nanoTime();
        } catch (IOException e) {
            c.failure = "io-" + c.link.fate();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes {@code length} bytes of whole SUB frames at once, or in 20 writes spread over {@code --spread}. */
    private void writeSpread(RawLink link, byte[] frames, int length) throws IOException, InterruptedException {
        if (spreadSeconds <= 0) {
            link.write(frames, 0, length);
            return;
        }
        int pieces = 20;
        int frame = length / subsPerConnection;
        int perPiece = (subsPerConnection + pieces - 1) / pieces;
        long pause = (long) (spreadSeconds * 1000 / pieces);
        for (int from = 0; from < subsPerConnection; from += perPiece) {
            int to = Math.min(subsPerConnection, from + perPiece);
            link.write(frames, from * frame, (to - from) * frame);
            Thread.sleep(pause);
        }
    }

    private static boolean allReached(List<Churner> churners, boolean unsubscribed) {
        for (Churner c : churners) {
            if ((unsubscribed ? c.unsubscribedAt : c.subscribedAt) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Delivered steady messages in each of the next {@code seconds} seconds. */
    private static List<Long> perSecond(CountingSubscriber sub, int seconds) throws InterruptedException {
        List<Long> series = new ArrayList<>();
        long start = System.nanoTime();
        long last = sub.messages();
        for (int i = 1; i <= seconds; i++) {
            long wait = start + i * 1_000_000_000L - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            long c = sub.messages();
            series.add(c - last);
            last = c;
        }
        return series;
    }

    private static long min(List<Long> series) {
        return series.stream().mapToLong(Long::longValue).min().orElse(-1);
    }

    private static void putRtt(Figures f, String prefix, Histogram h) {
        boolean none = h == null || h.getTotalCount() == 0;
        f.put(prefix + "_p50_ms", none ? -1.0 : h.getValueAtPercentile(50) / 1e3)
                .put(prefix + "_p99_ms", none ? -1.0 : h.getValueAtPercentile(99) / 1e3)
                .put(prefix + "_max_ms", none ? -1.0 : h.getMaxValue() / 1e3);
    }

    /** Counters between two moments, and the round trips of the PINGs sent between them. */
    private static final class Interval {
        final RawPublisher pub;
        final CountingSubscriber sub;
        final long startNanos = System.nanoTime();
        final long published0;
        final long delivered0;
        long endNanos;
        long published1;
        long delivered1;
        Histogram rtt;

        private Interval(RawPublisher pub, CountingSubscriber sub) {
            this.pub = pub;
            this.sub = sub;
            this.published0 = pub.sent();
            this.delivered0 = sub.messages();
        }

        static Interval begin(RawPublisher pub, CountingSubscriber sub) {
            return new Interval(pub, sub);
        }

        void end() {
            endNanos = System.nanoTime();
            published1 = pub.sent();
            delivered1 = sub.messages();
        }

        double seconds() {
            return Figures.seconds(startNanos, endNanos == 0 ? System.nanoTime() : endNanos);
        }

        long published() {
            return published1 - published0;
        }

        long delivered() {
            return delivered1 - delivered0;
        }
    }
}
