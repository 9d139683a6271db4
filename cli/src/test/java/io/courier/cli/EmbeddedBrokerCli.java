package io.courier.cli;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.Broker;
import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An embedded broker on a free port, {@code courier} run in-process with standard output, error and input replaced,
 * and a real client to publish or receive beside it. Long-running commands ({@code sub}, {@code reply}) run on this
 * class's own threads, interrupted at the end of each test.
 */
abstract class EmbeddedBrokerCli {

    private static final Pattern LOG_LINE =
            Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +(TRACE|DEBUG|INFO|WARN|ERROR) ");

    Broker broker;
    String server;
    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final InputStream realIn = System.in;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cli-under-test");
        t.setDaemon(true);
        return t;
    });

    /** Settings (HOCON) over the defaults for the embedded broker. */
    String brokerConfig() {
        return "";
    }

    @BeforeEach
    void startBrokerAndCaptureStreams() {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0\n" + brokerConfig()));
        server = "127.0.0.1:" + broker.address().getPort();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopBrokerAndRestoreStreams() throws InterruptedException {
        background.shutdownNow();
        background.awaitTermination(10, TimeUnit.SECONDS);
        System.setOut(realOut);
        System.setErr(realErr);
        System.setIn(realIn);
        broker.stop();
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * What the command wrote to standard error, without the log lines of the embedded broker and of the client
     * ({@code HH:mm:ss.SSS LEVEL ...}, cli/src/main/resources/logback.xml), which share the stream.
     */
    String err() {
        StringBuilder sb = new StringBuilder();
        err.toString(StandardCharsets.UTF_8).lines().filter(l -> !LOG_LINE.matcher(l).lookingAt())
                .forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    void stdin(byte[] bytes) {
        System.setIn(new ByteArrayInputStream(bytes));
    }

    /** Runs a command that keeps running (sub, reply) in the background. */
    CompletableFuture<Integer> inBackground(String... args) {
        return CompletableFuture.supplyAsync(() -> Main.run(args), background);
    }

    /** {@code args} and then {@code --server} with the embedded broker's address. */
    String[] withServer(String... args) {
        String[] all = Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--server";
        all[args.length + 1] = server;
        return all;
    }

    /** Starts {@code courier sub ARGS --server S} and returns once the broker has its subscription. */
    CompletableFuture<Integer> subscribed(String... args) {
        int before = broker.subscriptionCount();
        CompletableFuture<Integer> sub = inBackground(withServer(args));
        await().atMost(Duration.ofSeconds(10)).until(() -> sub.isDone() || broker.subscriptionCount() > before);
        assertThat(sub).as("sub still running; err: %s", err()).isNotDone();
        return sub;
    }

    /** A real client that collects what arrives on {@code pattern}. */
    Connection collect(String pattern, BlockingQueue<Message> into) throws Exception {
        Connection c = Courier.connect(server);
        c.subscribe(pattern, into::add);
        c.flush(Duration.ofSeconds(5));
        return c;
    }

    static BlockingQueue<Message> queue() {
        return new LinkedBlockingQueue<>();
    }

    static Message next(BlockingQueue<Message> q) throws InterruptedException {
        Message m = q.poll(10, TimeUnit.SECONDS);
        assertThat(m).as("a message within 10 s").isNotNull();
        return m;
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
