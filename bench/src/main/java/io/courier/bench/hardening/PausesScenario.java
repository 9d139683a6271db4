package io.courier.bench.hardening;

import io.courier.client.Connection;
import io.courier.client.ConnectionClosedException;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;

/**
 * Ten raw subscribers to {@code slow.t} that never read after CONNECTED and SUB, and one Java-client publisher
 * calling {@code publish("slow.t", 1 KiB)} in a loop for 20 s. Every call is timed, including one that gives up
 * (publish() throws after waiting 10 s for buffer space): a broker that throttles its publisher for slow
 * subscribers shows up here as long publish() calls. The last call may end up to 10 s after the 20 s.
 */
@Command(name = "pauses", mixinStandardHelpOptions = true,
        description = "Duration of every publish() call while 10 subscribers never read.")
final class PausesScenario implements Callable<Integer> {

    private static final String TOPIC = "slow.t";

    @Mixin
    Target target;

    @Option(names = "--subscribers", defaultValue = "10", description = "default: ${DEFAULT-VALUE}")
    int subscribers;

    @Option(names = "--seconds", defaultValue = "20", description = "default: ${DEFAULT-VALUE}")
    int seconds;

    @Option(names = "--size", defaultValue = "1024", description = "payload bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--rcvbuf", defaultValue = "8192", description = "the subscribers' SO_RCVBUF (default: ${DEFAULT-VALUE})")
    int receiveBuffer;

    private record Call(long nanos, double atSeconds, boolean threw) { }

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("pauses", "default");
        BrokerProcess broker = target.broker();
        InetSocketAddress address = target.address();
        List<RawLink> subs = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            RawLink s = RawLink.subscriber(address, "pauses-sub-" + i, receiveBuffer, TOPIC);
            s.keepAlive(Duration.ofSeconds(1));
            subs.add(s);
        }
        f.say(subscribers + " subscribers on " + TOPIC + " never read (SO_RCVBUF " + receiveBuffer
                + "); a Java client publishes " + size + " B for " + seconds + " s");

        long start = System.nanoTime();
        ClientEvents events = new ClientEvents(start);
        Connection publisher = target.connectClient("pauses-pub", events);
        byte[] payload = new byte[size];
        Histogram durations = new Histogram(60_000_000_000L, 3);
        PriorityQueue<Call> top = new PriorityQueue<>(Comparator.comparingLong(Call::nanos));
        long published = 0;
        long over100ms = 0;
        String failure = "none";
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long nextReport = System.nanoTime() + 5_000_000_000L;
        long t0 = System.nanoTime();
        long failed = 0;
        while (t0 < deadline) {
            boolean closed = false;
            boolean threw = false;
            try {
                publisher.publish(TOPIC, payload);
                published++;
            } catch (RuntimeException e) {
                // A call that gives up is a pause too: it is timed like the others, and the loop goes on.
                failed++;
                threw = true;
                closed = e instanceof ConnectionClosedException;
                if (failed == 1) {
                    failure = e.getClass().getSimpleName();
                    f.say(String.format("publish() threw at t=%.2fs after %d calls: %s", Figures.seconds(start, t0),
                            published, e));
                }
            }
            long t1 = System.nanoTime();
            long d = t1 - t0;
            if (d > 100_000_000L) {
                over100ms++;
            }
            durations.recordValue(Math.min(d, durations.getHighestTrackableValue()));
            if (top.size() < 5 || d > top.peek().nanos()) {
                top.add(new Call(d, Figures.seconds(start, t0), threw));
                if (top.size() > 5) {
                    top.poll();
                }
            }
            if (t1 >= nextReport) {
                while (nextReport <= t1) {
                    nextReport += 5_000_000_000L;
                }
                f.say(String.format("t=%.0fs published=%d max_ms=%.1f", Figures.seconds(start, t1), published,
                        durations.getMaxValue() / 1e6));
            }
            if (closed) {
                break;
            }
            t0 = t1;
        }
        double elapsed = Figures.seconds(start, System.nanoTime());
        BrokerProcess.Memory memory = broker.memory();
        HardeningCommand.daemon("pauses-close", publisher::close).join(8000);

        List<Call> slowest = new ArrayList<>(top);
        slowest.sort(Comparator.comparingLong(Call::nanos).reversed());
        StringBuilder topText = new StringBuilder();
        for (Call c : slowest) {
            topText.append(topText.length() == 0 ? "" : ",").append(String.format("%.1f", c.nanos() / 1e6));
            f.say(String.format("slow publish() at t=%.2fs took %.1f ms%s", c.atSeconds(), c.nanos() / 1e6,
                    c.threw() ? " and threw" : ""));
        }
        events.sayTimeline(f);

        // The subscribers' fates: what the broker did to them (read them out briefly, in parallel). One the broker
        // closed during the run was noticed by its keepalive write failing, to within a second.
        long drainStart = System.nanoTime();
        List<Thread> drains = new ArrayList<>();
        for (RawLink s : subs) {
            drains.add(HardeningCommand.daemon(s.name() + "-drain", () -> s.drain(Duration.ofSeconds(3), fr -> { })));
        }
        List<String> fates = new ArrayList<>();
        List<String> subErrors = new ArrayList<>();
        int closedDuringRun = 0;
        double firstClose = -1;
        double lastClose = -1;
        for (int i = 0; i < subs.size(); i++) {
            RawLink s = subs.get(i);
            drains.get(i).join(5000);
            fates.add(s.fate());
            subErrors.addAll(s.errors());
            if (!s.isOpen() && s.endedAtNanos() < drainStart) {
                closedDuringRun++;
                double at = Figures.seconds(start, s.endedAtNanos());
                firstClose = firstClose < 0 ? at : Math.min(firstClose, at);
                lastClose = Math.max(lastClose, at);
            }
            s.close();
        }
        if (closedDuringRun > 0) {
            f.say(String.format("%d subscribers were closed by the broker during the run, noticed from t=%.1fs to "
                    + "t=%.1fs", closedDuringRun, firstClose, lastClose));
        }

        f.put("calls", published + failed).put("published", published).put("seconds", elapsed).put("publish_per_s", published / elapsed)
                .put("max_ms", durations.getMaxValue() / 1e6).put("top5_ms", topText.toString())
                .put("p50_us", durations.getValueAtPercentile(50) / 1e3)
                .put("p99_us", durations.getValueAtPercentile(99) / 1e3)
                .put("p9999_ms", durations.getValueAtPercentile(99.99) / 1e6)
                .put("calls_over_100ms", over100ms)
                .put("publish_failures", failed).put("first_failure", failure)
                .put("client_events", events.events()).put("client_errs", events.errors())
                .put("subscriber_fates", Figures.tally(fates)).put("subscribers_closed_during_run", closedDuringRun)
                .put("subscriber_first_close_s", firstClose).put("subscriber_last_close_s", lastClose).put("subscriber_errs", Figures.tally(subErrors));
        broker.report(f, memory);
        f.print();
        return 0;
    }
}
