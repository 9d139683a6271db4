package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;

/** The {@code --server} option shared by the client commands, and the connection it leads to. */
final class ServerOption {

    @Option(names = {"-s", "--server"}, paramLabel = "HOST:PORT", split = ",",
            description = "broker address(es) to connect to (default: ${DEFAULT-VALUE})",
            defaultValue = "${env:COURIER_SERVER:-127.0.0.1:4800}")
    List<String> servers;

    Connection connect(String name) {
        for (String s : servers) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new CliFailure("--server '" + s + "' is not HOST:PORT (for example 127.0.0.1:4800)");
            }
        }
        Options options = Options.builder().servers(servers).name(name).build();
        try {
            return Courier.connect(options);
        } catch (IOException e) {
            throw new CliFailure(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted while connecting");
        }
    }
}
