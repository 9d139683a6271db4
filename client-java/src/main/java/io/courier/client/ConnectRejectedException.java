package io.courier.client;

import io.courier.protocol.ErrorCode;
import java.io.IOException;

/**
 * The broker answered CONNECT with an error (for example {@link ErrorCode#AUTHENTICATION_FAILED}), so
 * {@link Courier#connect} could not open the connection. {@link #code()} and {@link #reason()} are the broker's.
 */
public class ConnectRejectedException extends IOException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String reason;

    public ConnectRejectedException(String message, ErrorCode code, String reason) {
        super(message);
        this.code = code;
        this.reason = reason;
    }

    public ErrorCode code() {
        return code;
    }

    public String reason() {
        return reason;
    }
}
