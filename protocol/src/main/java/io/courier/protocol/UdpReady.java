package io.courier.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * The broker's answer to {@link UdpOpen}: send datagrams to {@code port} (on the host the TCP link is connected to),
 * none larger than {@code maxDatagram} bytes, each carrying {@code token} ({@link Datagram#TOKEN_BYTES} bytes), the
 * secret that ties a datagram to this session. A HELLO datagram with the token binds the client's UDP address.
 */
public record UdpReady(int port, int maxDatagram, byte[] token) implements Frame {

    public UdpReady {
        Objects.requireNonNull(token, "token");
        if (token.length != Datagram.TOKEN_BYTES) {
            throw new IllegalArgumentException("a UDP token has " + Datagram.TOKEN_BYTES + " bytes, got " + token.length);
        }
        token = token.clone();
    }

    @Override
    public byte[] token() {
        return token.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UdpReady r && r.port == port && r.maxDatagram == maxDatagram && Arrays.equals(r.token, token);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * port + maxDatagram) + Arrays.hashCode(token);
    }

    @Override
    public String toString() {
        return "UdpReady[port=" + port + ", maxDatagram=" + maxDatagram + ", token=(secret)]";
    }

    @Override
    public FrameType type() {
        return FrameType.UDP_READY;
    }
}
