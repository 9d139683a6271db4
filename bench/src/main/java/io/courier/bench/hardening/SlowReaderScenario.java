package io.courier.bench.hardening;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A publisher offers 40 MB/s to {@code rate.t} on a schedule (4 KiB messages, 10,000/s, 12 s); a slow raw
 * subscriber reads at about 9 MB/s and a fast one as fast as it can. Shows whether one slow reader holds back the
 * publisher and so the fast reader, and what the broker does to the slow one. {@code --no-slow}: the fast pair
 * alone, the baseline.
 */
@Command(name = "slowreader", mixinStandardHelpOptions = true,
        description = "40 MB/s offered to a fast and a slow (9 MB/s) subscriber.")
final class SlowReaderScenario implements Callable<Integer> {

    private static final String TOPIC = "rate.t";

    @Mixin
    Target target;

    @Option(names = "--no-slow", description = "run without the slow subscriber (baseline)")
    boolean noSlow;

    @Option(names = "--size", defaultValue = "4096", description = "payload bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--rate", defaultValue = "10000", description = "messages per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--seconds", defaultValue = "12", description = "length of the schedule (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--slow-mb-s", defaultValue = "9", description = "the slow reader's MB/s (default: ${DEFAULT-VALUE})")
    double slowMegabytes;

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("slowreader", noSlow ? "no-slow" : "with-slow");
        BrokerProcess broker = target.broker();
        InetSocketAddress address = target.address();
        CountingSubscriber fast = CountingSubscriber.start(RawLink.subscriber(address, "slowreader-fast", 0, TOPIC), 0);
        CountingSubscriber slow = noSlow ? null : CountingSubscriber.start(
                RawLink.subscriber(address, "slowreader-slow", 0, TOPIC), slowMegabytes * 1e6);
        RawLink pubLink = RawLink.connect(address, "slowreader-pub", 0);
        pubLink.discardIncoming();
        long total = (long) rate * seconds;
        f.say(String.format("offering %.1f MB/s (%d B x %d/s) for %d s to %s; fast reader%s", size * (double) rate / 1e6,
                size, rate, seconds, TOPIC, noSlow ? " only" : String.format(" and a slow one at %.1f MB/s",
                        slowMegabytes)));

        RawPublisher publisher = new RawPublisher(pubLink, TOPIC, size, rate, total);
        long start = System.nanoTime();
        Thread pub = publisher.start(start, start + Duration.ofSeconds(60).toNanos());
        long nextReport = start + 3_000_000_000L;
        while (pub.isAlive()) {
            pub.join(200);
            long now = System.nanoTime();
            if (now >= nextReport) {
                nextReport += 3_000_000_000L;
                f.say(String.format("t=%.0fs published=%d fast=%d%s", Figures.seconds(start, now), publisher.sent(),
                        fast.messages(), slow == null ? "" : " slow=" + slow.messages() + " (" + slow.link().fate() + ")"));
            }
            if (!broker.alive()) {
                f.say("the broker died");
                break;
            }
        }
        long published = publisher.sent();
        double publishSeconds = Figures.seconds(start, publisher.finishedAtNanos() == 0 ? System.nanoTime()
                : publisher.finishedAtNanos());

        // The fast reader gets everything, or nothing more for 3 s; at most 20 s past the schedule.
        long waitUntil = System.nanoTime() + 20_000_000_000L;
        long lastCount = -1;
        long lastChange = System.nanoTime();
        while (fast.messages() < published && System.nanoTime() < waitUntil && fast.link().isOpen()) {
            if (fast.messages() != lastCount) {
                lastCount = fast.messages();
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > 3_000_000_000L) {
                break;
            }
            Thread.sleep(50);
        }
        BrokerProcess.Memory memory = broker.memory();
        f.say(String.format("schedule of %d s took %.2f s (%s); fast got %d of %d, last at %.2f s; max latency %.0f ms",
                seconds, publishSeconds, publisher.stoppedBy(), fast.messages(), published,
                fast.lastArrivalNanos() == 0 ? -1 : Figures.seconds(start, fast.lastArrivalNanos()),
                fast.maxLatencyMillis()));
        f.put("published", published).put("publish_s", publishSeconds).put("publisher_stopped_by", publisher.stoppedBy())
                .put("publisher_errs", pubLink.errorList())
                .put("fast_received", fast.messages())
                .put("fast_last_s", fast.lastArrivalNanos() == 0 ? -1.0 : Figures.seconds(start, fast.lastArrivalNanos()))
                .put("fast_max_latency_ms", fast.maxLatencyMillis()).put("fast_gaps", fast.gaps())
                .put("fast_errs", fast.link().errorList()).put("fast_fate", fast.link().fate());
        if (slow != null) {
            RawLink s = slow.link();
            f.say(String.format("slow got %d (%.1f MB), %s%s", slow.messages(), slow.bytesRead() / 1e6,
                    s.fate(), s.isOpen() ? "" : String.format(" at %.2f s: %s", Figures.seconds(start, s.endedAtNanos()),
                            s.fateDetail())));
            f.put("slow_received", slow.messages()).put("slow_mb_read", slow.bytesRead() / 1e6)
                    .put("slow_errs", s.errorList()).put("slow_fate", s.fate())
                    .put("slow_ended_s", s.isOpen() ? -1.0 : Figures.seconds(start, s.endedAtNanos()));
            slow.stop();
            s.close();
        }
        fast.stop();
        fast.link().close();
        pubLink.close();
        broker.report(f, memory);
        f.print();
        return 0;
    }
}
