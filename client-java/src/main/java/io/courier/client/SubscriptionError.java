package io.courier.client;

import io.courier.protocol.ErrorCode;
import java.util.Objects;

/**
 * Why the broker refused a subscription: the code of its ERR (for example {@link ErrorCode#TOO_MANY_SUBSCRIPTIONS},
 * {@link ErrorCode#INVALID_PATTERN}, {@link ErrorCode#DUPLICATE_SUBSCRIPTION}) and its reason, without the
 * {@code SUB <sid>: } prefix that tied the ERR to the subscription.
 */
public record SubscriptionError(ErrorCode code, String reason) {

    public SubscriptionError {
        Objects.requireNonNull(code, "code");
        reason = reason == null ? "" : reason;
    }

    @Override
    public String toString() {
        return code + ": " + reason;
    }
}
