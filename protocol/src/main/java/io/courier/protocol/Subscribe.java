package io.courier.protocol;

import java.util.Objects;

/** Subscribe under the client-chosen id {@code sid} to {@code pattern}; {@code queueGroup} is empty for none. */
public record Subscribe(int sid, String pattern, String queueGroup) implements Frame {

    public Subscribe {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(queueGroup, "queueGroup");
    }

    public boolean hasQueueGroup() {
        return !queueGroup.isEmpty();
    }

    @Override
    public FrameType type() {
        return FrameType.SUB;
    }
}
