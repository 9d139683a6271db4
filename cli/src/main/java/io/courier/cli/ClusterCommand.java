package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code courier cluster} (or {@code courier cluster status}): the members of a broker cluster, read from a broker's
 * admin port.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Look at a broker cluster: without a subcommand, its members (as cluster status).",
        subcommands = {ClusterCommand.Status.class})
final class ClusterCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AdminPort admin;

    @Override
    public Integer call() throws Exception {
        return Status.show(spec.commandLine(), admin);
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print the cluster's members as a broker sees them: state, reachability, clients.",
            footer = {"%nThe broker must run with its admin port open (courier.admin.enabled = true).",
                    "Each --admin address is tried in turn; the first that answers is shown.",
                    "%nExample:", "  courier cluster status --admin 127.0.0.1:4881,127.0.0.1:4882"})
    static final class Status implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        AdminPort admin;

        @Override
        public Integer call() throws Exception {
            return show(spec.commandLine(), admin);
        }

        static int show(CommandLine commandLine, AdminPort admin) throws Exception {
            return admin.show(commandLine, "/api/cluster", (out, a) -> print(out, a.address(), a.json()));
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
