package io.courier.bench.hardening;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Publish;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscriber to {@code pin.x} that never reads, and a publisher whose every socket write (about 61 KB) holds a
 * 1 KiB PUB to {@code pin.x} and a 60,000 B PUB to {@code other.y}, which nobody wants. If the broker keeps each
 * small queued message as a view of the large read it came in, every 1 KiB queued pins 61 KB. Runs for 60 s or
 * 200,000 writes, or until the broker dies. {@code --control}: the subscriber takes {@code elsewhere.z} instead,
 * so nothing queues.
 */
@Command(name = "pin", mixinStandardHelpOptions = true,
        description = "A never-reading subscriber; every publisher write = 1 KiB PUB to it + 60,000 B PUB to nobody.")
final class PinScenario implements Callable<Integer> {

    @Mixin
    Target target;

    @Option(names = "--control", description = "subscribe to elsewhere.z instead of pin.x (nothing queues)")
    boolean control;

    @Option(names = "--seconds", defaultValue = "60", description = "default: ${DEFAULT-VALUE}")
    int seconds;

    @Option(names = "--writes", defaultValue = "200000", description = "default: ${DEFAULT-VALUE}")
    long maxWrites;

    @Option(names = "--rcvbuf", defaultValue = "4096", description = "the subscriber's SO_RCVBUF (default: ${DEFAULT-VALUE})")
    int receiveBuffer;

    @Override
    public Integer call() throws Exception {
        Figures f = target.begin("pin", control ? "control" : "pinned");
        BrokerProcess broker = target.broker();
        InetSocketAddress address = target.address();
        String pattern = control ? "elsewhere.z" : "pin.x";

        RawLink subscriber = RawLink.subscriber(address, "pin-sub", receiveBuffer, pattern);
        subscriber.keepAlive(Duration.ofSeconds(1));

        RawLink publisher = RawLink.connect(address, "pin-pub", 0);
        publisher.answerPings(false);
        publisher.discardIncoming();
        byte[] write = oneWrite();
        f.say("subscriber on " + pattern + " (SO_RCVBUF " + receiveBuffer + ", never reads); each write "
                + write.length + " B = PUB pin.x 1024 B + PUB other.y 60000 B");

        AtomicLong writes = new AtomicLong();
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(seconds).toNanos();
        Thread pub = HardeningCommand.daemon("pin-pub", () -> {
            try {
                while (writes.get() < maxWrites && System.nanoTime() < deadline) {
                    publisher.write(write);
                    writes.incrementAndGet();
                }
            } catch (IOException e) {
                // The broker cut the link or the harness closed it at the deadline; the fate says which.
            }
        });

        long nextReport = start + 10_000_000_000L;
        String stop = "writes";
        while (pub.isAlive()) {
            pub.join(200);
            long now = System.nanoTime();
            if (!broker.alive()) {
                stop = "broker-died";
                break;
            }
            if (now >= deadline) {
                stop = "time";
                break;
            }
            if (now >= nextReport) {
                nextReport += 10_000_000_000L;
                f.say(String.format("t=%.0fs writes=%d broker_rss_mib=%d", Figures.seconds(start, now),
                        writes.get(), broker.rssKiB() / 1024));
            }
        }
        if (!publisher.isOpen() && stop.equals("writes")) {
            stop = "publisher-" + publisher.fate();
        }
        double elapsed = Figures.seconds(start, System.nanoTime());
        String publisherFate = publisher.fate();
        BrokerProcess.Memory memory = broker.memory();
        publisher.close();
        pub.join(2000);

        // What the subscriber was sent, and whether the broker closed it: read it out now.
        long[] delivered = new long[1];
        subscriber.drain(Duration.ofSeconds(5), fr -> {
            if (fr.type() == FrameType.MSG) {
                delivered[0]++;
            }
        });

        long done = writes.get();
        f.say(String.format("%d writes (%.0f MB) in %.1f s, stopped by %s; publisher %s, subscriber %s",
                done, done * (double) write.length / 1e6, elapsed, stop, publisherFate, subscriber.fate()));
        f.put("writes", done).put("seconds", elapsed).put("write_mb_s", done * (double) write.length / 1e6 / elapsed)
                .put("stopped_by", stop)
                .put("publisher_fate", publisherFate).put("publisher_errs", publisher.errorList())
                .put("subscriber_fate", subscriber.fate()).put("subscriber_errs", subscriber.errorList())
                .put("subscriber_msgs_read_after", delivered[0]);
        broker.report(f, memory);
        subscriber.close();
        f.print();
        return 0;
    }

    /** One PUB of 1 KiB to pin.x followed by one PUB of 60,000 B to other.y, as one array. */
    private static byte[] oneWrite() {
        Publish small = new Publish("pin.x", new byte[1024]);
        Publish large = new Publish("other.y", new byte[60_000]);
        ByteBuffer b = ByteBuffer.allocate(FrameCodec.encodedSize(small) + FrameCodec.encodedSize(large));
        FrameCodec.encode(small, b);
        FrameCodec.encode(large, b);
        return b.array();
    }
}
