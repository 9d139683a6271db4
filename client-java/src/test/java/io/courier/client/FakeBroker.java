package io.courier.client;

import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.FrameType;
import io.courier.protocol.Headers;
import io.courier.protocol.Message;
import io.courier.protocol.Pong;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import io.courier.protocol.Unsubscribe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only stand-in for the broker: accepts on 127.0.0.1 with a thread per connection, answers CONNECT and PING,
 * and routes PUBs to matching SUBs of all its sessions (no queue groups). Requests with no subscriber get the
 * no-responders reply. Knobs let tests hold handshakes, stop answering PINGs, reject CONNECT, refuse SUBs beyond a
 * limit, drop links, and stop a session gracefully the way the broker does ({@link Session#shutDown}).
 */
final class FakeBroker implements AutoCloseable {

    private final ServerSocket server;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private volatile boolean answerPings = true;
    private volatile CountDownLatch handshakeGate;
    private volatile CountDownLatch readGate;
    private volatile Err connectError;
    private volatile boolean hangUpOnAccept;
    private volatile List<String> advertised = List.of();
    private volatile int maxSubscriptions = Integer.MAX_VALUE;
    private volatile boolean ignoreDrainPings;

    private FakeBroker() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "fake-broker-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static FakeBroker start() throws IOException {
        return new FakeBroker();
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    long acceptedConnections() {
        return accepted.get();
    }

    void answerPings(boolean answer) {
        answerPings = answer;
    }

    void rejectConnect(Err error) {
        connectError = error;
    }

    void advertise(List<String> servers) {
        advertised = List.copyOf(servers);
    }

    /**
     * Further SUBs of a session are refused with {@code ERR TOO_MANY_SUBSCRIPTIONS}, its reason starting with
     * {@code SUB <sid>: } as the protocol prescribes.
     */
    void limitSubscriptions(int max) {
        maxSubscriptions = max;
    }

    /** A session being shut down never answers the drain PING and keeps its link open, as a hung broker would. */
    void ignoreDrainPings() {
        ignoreDrainPings = true;
    }

    /**
     * New links are closed as soon as they are accepted, so reconnect attempts fail while the port stays taken
     * (unlike {@link #close()}, after which another test could bind the same port).
     */
    void hangUpOnAccept() {
        hangUpOnAccept = true;
    }

    /** New CONNECTs wait (the client stays RECONNECTING) until {@link #releaseHandshakes()}. */
    void holdHandshakes() {
        handshakeGate = new CountDownLatch(1);
    }

    void releaseHandshakes() {
        CountDownLatch gate = handshakeGate;
        handshakeGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** Sessions stop reading their sockets (after the read in progress), as a stalled broker would. */
    void pauseReading() {
        readGate = new CountDownLatch(1);
    }

    void resumeReading() {
        CountDownLatch gate = readGate;
        readGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** Closes every client link, as a crashed or restarted broker would; keeps accepting. */
    void dropConnections() {
        for (Session s : sessions) {
            s.close();
        }
    }

    /** Sessions that completed the handshake, oldest first. */
    List<Session> sessions() {
        List<Session> up = new ArrayList<>();
        for (Session s : sessions) {
            if (s.connected) {
                up.add(s);
            }
        }
        return up;
    }

    Session lastSession() {
        List<Session> up = sessions();
        return up.isEmpty() ? null : up.get(up.size() - 1);
    }

    @Override
    public void close() throws IOException {
        releaseHandshakes();
        resumeReading();
        server.close();
        dropConnections();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.incrementAndGet();
                if (hangUpOnAccept) {
                    socket.close();
                    continue;
                }
                Session session = new Session(socket);
                sessions.add(session);
                Thread t = new Thread(session::run, "fake-broker-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void route(Publish publish) {
        boolean delivered = false;
        for (Session s : sessions) {
            delivered |= s.deliver(publish);
        }
        if (!delivered && publish.hasReplyTo()) {
            Publish noResponders = new Publish(publish.replyTo(), "", Map.of(Headers.STATUS, Headers.NO_RESPONDERS),
                    new byte[0]);
            for (Session s : sessions) {
                s.deliver(noResponders);
            }
        }
    }

    private record Sub(int sid, String pattern, AtomicLong remaining) {
    }

    /** One client link. */
    final class Session {
        private final Socket socket;
        private final List<Frame> received = Collections.synchronizedList(new ArrayList<>());
        private final Map<Integer, Sub> subs = new ConcurrentHashMap<>();
        private volatile boolean connected;
        /** ERR SERVER_SHUTDOWN was sent: the next PING is the client's drain PING. */
        private volatile boolean shuttingDown;
        /** The drain PING was answered: nothing after it is handled. */
        private volatile boolean drained;
        private OutputStream out;

        Session(Socket socket) {
            this.socket = socket;
        }

        /** Frames received so far, in order (CONNECT included). */
        List<Frame> received() {
            synchronized (received) {
                return List.copyOf(received);
            }
        }

        long count(FrameType type) {
            return received().stream().filter(f -> f.type() == type).count();
        }

        synchronized void send(Frame frame) {
            try {
                out.write(FrameCodec.encode(frame));
            } catch (IOException e) {
                close();
            }
        }

        /**
         * Stops the way the broker does on a graceful shutdown: sends {@code ERR SERVER_SHUTDOWN} now, ahead of any
         * MSG still to come, keeps reading and routing, answers the first PING read after it with PONG (unless
         * {@link FakeBroker#ignoreDrainPings()}), handles nothing after that PING and closes.
         */
        void shutDown(String reason) {
            shuttingDown = true;
            send(new Err(ErrorCode.SERVER_SHUTDOWN, reason));
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }

        private boolean deliver(Publish p) {
            boolean any = false;
            for (Sub sub : subs.values()) {
                if (Topic.matches(sub.pattern(), p.topic())) {
                    any = true;
                    send(new Message(sub.sid(), p.topic(), p.replyTo(), p.headers(), p.payload()));
                    if (sub.remaining().get() > 0 && sub.remaining().decrementAndGet() == 0) {
                        subs.remove(sub.sid());
                    }
                }
            }
            return any;
        }

        private void run() {
            try (socket) {
                socket.setTcpNoDelay(true);
                out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                FrameDecoder decoder = new FrameDecoder(16 * 1024 * 1024);
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    awaitGate(readGate);
                    if (decoder.decode(ByteBuffer.wrap(buffer, 0, n), this::handle) != null) {
                        return;
                    }
                }
            } catch (IOException e) {
                // link dropped: the test decides what that means
            } finally {
                sessions.remove(this);
            }
        }

        private void handle(Frame frame) {
            if (drained) {
                return;
            }
            received.add(frame);
            switch (frame.type()) {
                case CONNECT -> onConnect();
                case PING -> onPing();
                case SUB -> {
                    Subscribe s = (Subscribe) frame;
                    if (subs.size() >= maxSubscriptions) {
                        send(new Err(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "SUB " + s.sid() + ": the limit is "
                                + maxSubscriptions + " subscriptions per connection"));
                    } else {
                        subs.put(s.sid(), new Sub(s.sid(), s.pattern(), new AtomicLong(-1)));
                    }
                }
                case UNSUB -> {
                    Unsubscribe u = (Unsubscribe) frame;
                    if (u.maxMessages() == 0) {
                        subs.remove(u.sid());
                    } else {
                        Sub sub = subs.get(u.sid());
                        if (sub != null) {
                            sub.remaining().set(u.maxMessages());
                        }
                    }
                }
                case PUB -> route((Publish) frame);
                default -> { }
            }
        }

        private void onPing() {
            if (!shuttingDown) {
                if (answerPings) {
                    send(Pong.INSTANCE);
                }
            } else if (!ignoreDrainPings) {
                drained = true;
                send(Pong.INSTANCE);
                close();
            }
        }

        /** Waits while {@code gate} is closed; false (and the link closed) when it did not open within 10 s. */
        private boolean awaitGate(CountDownLatch gate) {
            if (gate == null) {
                return true;
            }
            try {
                if (gate.await(10, TimeUnit.SECONDS)) {
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close();
            return false;
        }

        private void onConnect() {
            if (!awaitGate(handshakeGate)) {
                return;
            }
            Err reject = connectError;
            if (reject != null) {
                send(reject);
                close();
                return;
            }
            connected = true;
            send(new Connected(FrameCodec.VERSION, "fake-" + port(), "0.0.0-fake", 1024 * 1024, 5000, advertised));
        }
    }
}
