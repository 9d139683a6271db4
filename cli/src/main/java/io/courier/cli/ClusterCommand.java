package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code courier cluster status}: the members of a broker cluster, read from a broker's admin port. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Look at a broker cluster.",
        subcommands = {ClusterCommand.Status.class})
final class ClusterCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (status)");
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print the cluster's members as a broker sees them: state, reachability, clients.",
            footer = {"%nThe broker must run with its admin port open (courier.admin.enabled = true).",
                    "Each --admin address is tried in turn; the first that answers is shown.",
                    "%nExample:", "  courier cluster status --admin 127.0.0.1:4881,127.0.0.1:4882"})
    static final class Status implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = {"-a", "--admin"}, paramLabel = "HOST:PORT", split = ",", required = true,
                description = "a broker's admin address(es) (courier.admin.host / port)")
        List<String> admins;

        @Option(names = "--json", description = "print the broker's JSON as it is")
        boolean json;

        @Override
        public Integer call() throws Exception {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            List<String> failures = new ArrayList<>();
            for (String admin : admins) {
                String address = admin.trim();
                HttpResponse<String> r;
                try {
                    r = http.send(HttpRequest.newBuilder(URI.create("http://" + address + "/api/cluster"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--admin: '" + address + "' is not HOST:PORT");
                } catch (IOException e) {
                    failures.add(address + " (" + why(e) + ")");
                    continue;
                }
                if (r.statusCode() != 200) {
                    failures.add(address + " (HTTP " + r.statusCode() + ": " + r.body().trim() + ")");
                    continue;
                }
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(r.body());
                } else {
                    print(out, address, new ObjectMapper().readTree(r.body()));
                }
                out.flush();
                return 0;
            }
            throw new CliFailure("no admin port answered: " + String.join(", ", failures)
                    + "; is the broker running with courier.admin.enabled = true?");
        }

        private static String why(IOException e) {
            if (e instanceof ConnectException) {
                return "connection refused";
            }
            if (e instanceof HttpTimeoutException) {
                return "no answer within 5 s";
            }
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }

        static void print(PrintWriter out, String from, JsonNode cluster) {
            String self = cluster.path("self").asText();
            String leader = cluster.path("leader").asText();
            out.printf("as seen by %s (%s)%n", self, from);
            if (cluster.path("members").isEmpty()) {
                out.println("no members yet: this broker has not joined a cluster; check courier.cluster.seeds and "
                        + "that the first seed is up");
                return;
            }
            String format = "%-32s %-10s %-10s %-22s %8s %9s  %s%n";
            out.printf(format, "NODE", "STATUS", "REACHABLE", "CLIENTS AT", "CLIENTS", "INTEREST", "NOTE");
            for (JsonNode m : cluster.path("members")) {
                String node = m.path("node").asText();
                List<String> notes = new ArrayList<>();
                if (m.path("self").asBoolean()) {
                    notes.add("self");
                }
                if (node.equals(leader)) {
                    notes.add("leader");
                }
                if (!m.path("self").asBoolean() && m.path("reachable").asBoolean() && !m.path("routed").asBoolean()) {
                    notes.add("route link down");
                }
                out.printf(format, node.replaceFirst("^pekko://courier@", ""), m.path("status").asText(),
                        m.path("reachable").asBoolean() ? "yes" : "NO", m.path("clientAddress").asText(),
                        count(m.path("clients").asLong()), count(m.path("interest").asLong()),
                        String.join(", ", notes));
            }
        }

        private static String count(long n) {
            return n < 0 ? "?" : Long.toString(n);
        }
    }
}
