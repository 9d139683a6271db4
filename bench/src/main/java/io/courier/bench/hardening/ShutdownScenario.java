package io.courier.bench.hardening;

import io.courier.client.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

/**
 * A raw subscriber to {@code drain.t} reads at about 2 MB/s while a Java client publishes 100,000 sequenced 1 KiB
 * messages as fast as publish() lets it; after about 2 s, with a backlog queued for the reader, the broker gets
 * SIGTERM. Shows how long the graceful stop takes, what the reader still receives (up to which sequence number),
 * and whether it is told ERR SERVER_SHUTDOWN. Once its publishes are done the publisher flushes (PING/PONG): a
 * PONG before SIGTERM means the broker had read all of them. The broker's exit code is printed by
 * bench/hardening.sh, which reaps it.
 */
@Command(name = "shutdown", mixinStandardHelpOptions = true,
        description = "SIGTERM to the broker while a 2 MB/s reader holds a backlog.")
final class ShutdownScenario implements Callable<Integer> {

    private static final String TOPIC = "drain.t";

    @Mixin
    Target target;

    @Option(names = "--messages", defaultValue = "100000", description = "default: ${DEFAULT-VALUE}")
    int messages;

    @Option(names = "--size", defaultValue = "1024", description = "payload bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--reader-mb-s", defaultValue = "2", description = "the reader's MB/s (default: ${DEFAULT-VALUE})")
    double readerMegabytes;

    @Option(names = "--sigterm-after-ms", defaultValue = "2000", description = "default: ${DEFAULT-VALUE}")
    long sigtermAfterMillis;

    private volatile long sigtermAtNanos;
    private volatile long okBefore;
    private volatile long okAfter;
    private volatile String failure = "none";
    private volatile long publisherDoneNanos;
    private volatile long flushedAtNanos;
    private volatile String flushResult = "not-tried";

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("shutdown", "default");
        BrokerProcess broker = target.broker();
        if (broker.pid() <= 0) {
            throw new IllegalArgumentException("shutdown needs --broker-pid: it sends the broker SIGTERM");
        }
        RawLink readerLink = RawLink.subscriber(target.address(), "shutdown-reader", 0, TOPIC);
        CountingSubscriber reader = CountingSubscriber.start(readerLink, readerMegabytes * 1e6);

        long start = System.nanoTime();
        ClientEvents events = new ClientEvents(start);
        Connection publisher = target.connectClient("shutdown-pub", events);
        f.say(String.format("reader at %.1f MB/s on %s; publishing %d x %d B; SIGTERM after %d ms", readerMegabytes,
                TOPIC, messages, size, sigtermAfterMillis));
        Thread pub = HardeningCommand.daemon("shutdown-pub", () -> publish(publisher));

        Thread.sleep(sigtermAfterMillis);
        long publishedAtSigterm = okBefore;
        long readAtSigterm = reader.messages();
        long rssAtSigterm = broker.rssKiB();
        sigtermAtNanos = System.nanoTime();
        broker.sigterm();
        f.say(String.format("SIGTERM at t=%.2fs: publish() had returned %d times, the reader had %d (%s), broker "
                        + "RSS %d MiB", Figures.seconds(start, sigtermAtNanos), publishedAtSigterm, readAtSigterm,
                readerLink.fate(), rssAtSigterm / 1024));

        long exitDeadline = sigtermAtNanos + 45_000_000_000L;
        while (broker.alive() && System.nanoTime() < exitDeadline) {
            Thread.sleep(10);
        }
        boolean exited = !broker.alive();
        double exitSeconds = exited ? Figures.seconds(sigtermAtNanos, System.nanoTime()) : -1;
        reader.awaitEnd(5000);
        pub.join(10_000);
        HardeningCommand.daemon("shutdown-close", publisher::close).join(6000);
        events.sayTimeline(f);
        double readerEnded = readerLink.isOpen() ? -1 : Figures.seconds(sigtermAtNanos, readerLink.endedAtNanos());
        f.say(String.format("broker %s %.2f s after SIGTERM; reader got %d (last seq %d, %d gaps), %s %.2f s after "
                        + "SIGTERM, ERR %s", exited ? "exited" : "still running", exitSeconds, reader.messages(),
                reader.lastSeq(), reader.gaps(), readerLink.fate(), readerEnded, readerLink.errorList()));
        f.put("broker_exited", exited).put("exit_after_sigterm_s", exitSeconds)
                .put("sigterm_at_s", Figures.seconds(start, sigtermAtNanos))
                .put("publish_ok_before_sigterm", okBefore).put("publish_ok_after_sigterm", okAfter)
                .put("publish_failure", failure)
                .put("publisher_done_s", publisherDoneNanos == 0 ? -1.0 : Figures.seconds(start, publisherDoneNanos))
                .put("publisher_flush", flushResult)
                .put("publisher_flushed_s", flushedAtNanos == 0 ? -1.0 : Figures.seconds(start, flushedAtNanos))
                .put("broker_read_all_before_sigterm", flushedAtNanos != 0 && flushedAtNanos < sigtermAtNanos)
                .put("reader_received", reader.messages()).put("reader_received_at_sigterm", readAtSigterm)
                .put("reader_last_seq", reader.lastSeq()).put("reader_gaps", reader.gaps())
                .put("reader_errs", readerLink.errorList())
                .put("reader_saw_server_shutdown", readerLink.errors().contains("SERVER_SHUTDOWN"))
                .put("reader_fate", readerLink.fate()).put("reader_ended_after_sigterm_s", readerEnded)
                .put("client_events", events.events()).put("client_errs", events.errors())
                .put("broker_rss_mib_at_sigterm", rssAtSigterm / 1024);
        BrokerProcess.LogSince log = broker.logSince();
        f.put("broker_log_lines", log.lines()).put("broker_oom", log.outOfMemory());
        for (String line : log.firstLines()) {
            f.say("broker log: " + line);
        }
        readerLink.close();
        f.print();
        return 0;
    }

    private void publish(Connection publisher) {
        byte[] payload = new byte[size];
        for (int i = 0; i < messages; i++) {
            CountingSubscriber.stamp(payload, i);
            try {
                publisher.publish(TOPIC, payload);
            } catch (RuntimeException e) {
                failure = e.getClass().getSimpleName();
                break;
            }
            if (sigtermAtNanos == 0) {
                okBefore++;
            } else {
                okAfter++;
            }
        }
        publisherDoneNanos = System.nanoTime();
        if (!failure.equals("none")) {
            return;
        }
        // A PONG after the last publish: the broker had read every one of them by then.
        try {
            publisher.flush(Duration.ofSeconds(15));
            flushedAtNanos = System.nanoTime();
            flushResult = "ok";
        } catch (TimeoutException | RuntimeException e) {
            flushResult = e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            flushResult = "interrupted";
        }
    }
}
