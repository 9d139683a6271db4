package io.courier.protocol;

import java.util.Objects;

/** A last value sent in answer to {@link Last}: the layout of a MSG under its own type, so it reads as a resync. */
public record Resync(Message message) implements Frame {

    public Resync {
        Objects.requireNonNull(message, "message");
    }

    @Override
    public FrameType type() {
        return FrameType.RESYNC;
    }
}
