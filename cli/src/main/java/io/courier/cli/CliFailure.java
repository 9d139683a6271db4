package io.courier.cli;

import java.net.ConnectException;

/** A failure the user can act on: its message is printed as the one line of output, without a stack trace. */
final class CliFailure extends RuntimeException {

    CliFailure(String message) {
        super(message, null, false, false);
    }

    /** One line that says what went wrong, from any exception a command let escape. */
    static String describe(Throwable e) {
        if (e instanceof CliFailure) {
            return e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (root instanceof ConnectException && message != null) {
            return message;
        }
        return message == null ? root.getClass().getSimpleName() : message;
    }
}
