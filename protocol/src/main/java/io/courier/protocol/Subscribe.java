package io.courier.protocol;

import java.util.Objects;

/**
 * Subscribe under the client-chosen id {@code sid} to {@code pattern}; {@code queueGroup} is empty for none. With
 * {@code udp} (protocol version 3 and up) its messages come as datagrams to the session's bound UDP endpoint.
 */
public record Subscribe(int sid, String pattern, String queueGroup, boolean udp) implements Frame {

    /** Flag bit of the optional trailing flags byte: deliver over UDP. */
    public static final int FLAG_UDP = 1;

    public Subscribe {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(queueGroup, "queueGroup");
    }

    /** A subscription delivered over the TCP link, the only kind before version 3. */
    public Subscribe(int sid, String pattern, String queueGroup) {
        this(sid, pattern, queueGroup, false);
    }

    public boolean hasQueueGroup() {
        return !queueGroup.isEmpty();
    }

    @Override
    public FrameType type() {
        return FrameType.SUB;
    }
}
