package io.courier.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client's connect failure in words for the command line: "no answer from 127.0.0.1:4800 within 2 s" rather than
 * the protocol's "no CONNECTED within 2000 ms". The client reports one server as {@code cannot connect to ADDRESS:
 * REASON} and several as {@code cannot connect to any server: ADDRESS: REASON; ...}; only the reasons that name
 * protocol frames are reworded, anything else is passed on as it is.
 */
final class ConnectFailures {

    private static final Pattern NO_CONNECTED = Pattern.compile("no CONNECTED within (\\d+) ms");
    private static final Pattern ONE_SERVER_NO_ANSWER =
            Pattern.compile("cannot connect to (\\S+): (no answer) (within .+)");

    private ConnectFailures() {
    }

    static String describe(String clientMessage) {
        if (clientMessage == null) {
            return "cannot connect";
        }
        Matcher m = NO_CONNECTED.matcher(clientMessage);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(
                    "no answer within " + Durations.format(Duration.ofMillis(Long.parseLong(m.group(1))))));
        }
        m.appendTail(out);
        String message = out.toString()
                .replace("server closed the connection before answering CONNECT",
                        "closed the connection before answering")
                .replace("server answered CONNECT with ", "refused the connection: ")
                .replace("malformed data from server: ", "sent data that is not the Courier protocol: ");
        Matcher one = ONE_SERVER_NO_ANSWER.matcher(message);
        if (one.matches()) {
            return one.group(2) + " from " + one.group(1) + " " + one.group(3);
        }
        return message;
    }
}
