package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.ConnectionListener;
import io.courier.client.Courier;
import io.courier.client.Options;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The {@code --server} option shared by the client commands, and the connection it leads to. */
final class ServerOption {

    /**
     * How long a broker has to open the socket, and then to answer CONNECT: a person waits for the command, so both
     * are the client's connect timeout rather than its longer handshake timeout (named here for the messages).
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    @Option(names = {"-s", "--server"}, paramLabel = "HOST:PORT", split = ",",
            description = {"broker address(es) to connect to, comma-separated; IPv6 in brackets: [::1]:4800",
                    "default: $COURIER_SERVER when set, else 127.0.0.1:4800",
                    "(now: ${DEFAULT-VALUE})"},
            defaultValue = "${env:COURIER_SERVER:-127.0.0.1:4800}")
    List<String> servers;

    @Option(names = "--user", paramLabel = "USER", defaultValue = "${env:COURIER_USER:-}",
            description = "user to log in as (default: $COURIER_USER; none: anonymous)")
    String user;

    @Option(names = "--password", paramLabel = "PASSWORD", defaultValue = "${env:COURIER_PASSWORD:-}",
            description = {"password for --user (default: $COURIER_PASSWORD, which other users of this machine "
                    + "cannot read in the process list, unlike this flag)"})
    String password;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:COURIER_TOKEN:-}",
            description = "bearer token to log in with instead of a user and password (default: $COURIER_TOKEN)")
    String token;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    Connection connect(String name) {
        return connect(name, event -> { });
    }

    /** Connects, with {@code listener} hearing of the connection's state changes (see {@link ConnectionListener}). */
    Connection connect(String name, ConnectionListener listener) {
        return connect(name, listener, false);
    }

    /** As {@link #connect(String, ConnectionListener)}, with a UDP endpoint bound when {@code udp}. */
    Connection connect(String name, ConnectionListener listener, boolean udp) {
        String origin = fromFlag() ? "--server" : "COURIER_SERVER";
        for (String s : servers) {
            String t = s.trim();
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw UsageErrors.of(command, origin + " '" + s + "' is not HOST:PORT (for example 127.0.0.1:4800)");
            }
        }
        if (!token.isEmpty() && !user.isEmpty()) {
            throw UsageErrors.of(command, "give either --token or --user (with --password), not both");
        }
        if (!password.isEmpty() && user.isEmpty() && token.isEmpty()) {
            throw UsageErrors.of(command, "--password needs --user (or $COURIER_USER)");
        }
        Options options;
        try {
            Options.Builder builder = Options.builder().servers(servers).name(name).connectTimeout(CONNECT_TIMEOUT)
                    .handshakeTimeout(CONNECT_TIMEOUT)
                    .connectionListener(listener).udp(udp);
            if (!token.isEmpty()) {
                builder.token(token);
            } else if (!user.isEmpty()) {
                builder.credentials(user, password);
            }
            tls.applyTo(builder);
            options = builder.build();
        } catch (IllegalArgumentException e) {
            throw UsageErrors.of(command, origin + ": " + e.getMessage());
        }
        try {
            return Courier.connect(options);
        } catch (IOException e) {
            throw new CliFailure(ConnectFailures.describe(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted while connecting");
        }
    }

    /**
     * The broker a connection is linked to, as HOST:PORT: the host as it was given ({@code localhost}), an IPv6
     * address in brackets and in its short form (RFC 5952: {@code [::1]:4800}).
     */
    static String describe(InetSocketAddress address) {
        if (address == null) {
            return "(not connected)";
        }
        String host = address.getHostString();
        if (address.getAddress() instanceof Inet6Address v6 && host.indexOf(':') >= 0) {
            host = shortForm(v6);
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + address.getPort() : host + ":" + address.getPort();
    }

    /** The longest run of two or more zero groups becomes {@code ::}, the first such run on a tie; hex in lower case. */
    private static String shortForm(Inet6Address address) {
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xFF) << 8 | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        String scope = address.getScopedInterface() != null ? address.getScopedInterface().getName()
                : address.getScopeId() != 0 ? Integer.toString(address.getScopeId()) : null;
        return scope == null ? sb.toString() : sb + "%" + scope;
    }

    private boolean fromFlag() {
        return command == null || command.commandLine().getParseResult() == null
                || command.commandLine().getParseResult().hasMatchedOption("--server")
                || System.getenv("COURIER_SERVER") == null;
    }
}
