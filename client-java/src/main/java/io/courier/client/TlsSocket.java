package io.courier.client;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

/**
 * A TLS link's socket: a blocking {@link SSLSocket} over a plain TCP socket. The reader thread blocks in
 * {@link #read}, the writer thread in {@link #write}; JSSE lets one of each run at once, and handles TLS 1.3's
 * post-handshake messages itself. Closing the plain socket underneath wakes both. (Plain links keep their
 * non-blocking channel; TLS links give up only the publisher's direct write, see {@link Link#writeSome}.)
 */
final class TlsSocket {

    private final Socket tcp;
    private final SSLSocket ssl;
    private final InputStream in;
    private final OutputStream out;
    private final long handshakeDeadline;

    private TlsSocket(Socket tcp, SSLSocket ssl, long handshakeDeadline) throws IOException {
        this.handshakeDeadline = handshakeDeadline;
        this.tcp = tcp;
        this.ssl = ssl;
        this.in = ssl.getInputStream();
        this.out = ssl.getOutputStream();
    }

    /**
     * Opens the socket to {@code address} before {@code connectDeadline}, then does the TLS handshake with
     * {@code server}'s host name (for SNI and, when {@code verifyHostname}, for checking the broker's certificate)
     * within {@code handshakeNanos} of the socket being open; {@link #handshakeDeadline()} is that moment, for the
     * CONNECT exchange that follows.
     */
    static TlsSocket open(ServerAddress server, InetSocketAddress address, SSLContext context,
                          boolean verifyHostname, long connectDeadline, long handshakeNanos) throws IOException {
        Socket tcp = new Socket();
        try {
            tcp.setTcpNoDelay(true);
            try {
                tcp.connect(address, remainingMillis(connectDeadline));
            } catch (SocketTimeoutException e) {
                // The plain link's wording (the JDK's differs), which Link.describe turns into plain words.
                throw new SocketTimeoutException("connect timed out");
            }
            long deadline = System.nanoTime() + handshakeNanos;
            SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(tcp, server.host(), server.port(),
                    true);
            ssl.setUseClientMode(true);
            SSLParameters parameters = ssl.getSSLParameters();
            if (verifyHostname) {
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
            }
            ssl.setSSLParameters(parameters);
            try {
                ssl.setSoTimeout(remainingMillis(deadline));
                ssl.startHandshake();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no TLS handshake within "
                        + TimeUnit.NANOSECONDS.toMillis(handshakeNanos) + " ms");
            }
            return new TlsSocket(tcp, ssl, deadline);
        } catch (IOException | RuntimeException e) {
            tcp.close();
            throw e;
        }
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            throw new SocketTimeoutException("connect timed out");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    /** When the TLS and CONNECT handshakes must be done by ({@link System#nanoTime()}). */
    long handshakeDeadline() {
        return handshakeDeadline;
    }

    /** Reads give up at {@code deadline} (during the CONNECT handshake), or never once it is done (0). */
    void readDeadline(long deadline) throws IOException {
        ssl.setSoTimeout(deadline == 0 ? 0 : remainingMillis(deadline));
    }

    /** Reads what arrived into {@code buffer} (a heap buffer), blocking until something did; -1 at the end. */
    int read(ByteBuffer buffer) throws IOException {
        int n = in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        if (n > 0) {
            buffer.position(buffer.position() + n);
        }
        return n;
    }

    /** Writes all of {@code buffer}, blocking while the socket is full. */
    void write(ByteBuffer buffer) throws IOException {
        if (buffer.hasArray()) {
            out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            buffer.position(buffer.limit());
        } else {
            byte[] copy = new byte[buffer.remaining()];
            buffer.get(copy);
            out.write(copy);
        }
    }

    /** Closes the socket underneath first, so that no close waits behind a blocked write. Idempotent. */
    void close() {
        try {
            tcp.close();
        } catch (IOException e) {
            // Closing what may have failed already: nothing left to release or report.
        }
        try {
            ssl.close();
        } catch (IOException e) {
            // As above.
        }
    }

    /**
     * An SSL context trusting the CAs in {@code trustStore} (null: the JDK's default CAs) and presenting the client
     * certificate in {@code keyStore} (null: none). PKCS12 and JKS files are both recognised.
     *
     * @throws IllegalArgumentException naming the file, when a store cannot be read (missing, wrong password)
     */
    static SSLContext context(Path trustStore, char[] trustPassword, Path keyStore, char[] keyPassword) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore == null ? null : load(trustStore, trustPassword, "trust store"));
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore, keyPassword, "client key store"), keyPassword);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path file, char[] password, String what) {
        try {
            return KeyStore.getInstance(file.toFile(), password);
        } catch (EOFException e) {
            throw new IllegalArgumentException("cannot read the " + what + " " + file + ": not a key store", e);
        } catch (IOException e) {
            String reason = e.getCause() instanceof java.security.UnrecoverableKeyException
                    ? "wrong password" : e.getMessage();
            throw new IllegalArgumentException("cannot read the " + what + " " + file + ": " + reason, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
        }
    }
}
