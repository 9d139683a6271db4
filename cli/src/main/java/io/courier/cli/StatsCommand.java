package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code courier stats}: what a broker is and carries now, from its admin port's {@code /api/server}. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Print a broker's counters: clients, subscriptions, messages and bytes in and out, drops.",
        footer = {"%nThe broker must run with its admin port open (courier.admin.enabled = true).",
                "Counters count since the broker started; /metrics on the admin port has the rest for Prometheus.",
                "%nExample:", "  courier stats --admin 127.0.0.1:4880"})
final class StatsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AdminPort admin;

    @Override
    public Integer call() throws Exception {
        return admin.show(spec.commandLine(), "/api/server", (out, a) -> print(out, a.address(), a.json()));
    }

    static void print(PrintWriter out, String from, JsonNode s) {
        String format = "%-22s %s%n";
        out.printf(format, "server", s.path("serverId").asText() + " (" + s.path("version").asText() + ")");
        out.printf(format, "clients at", s.path("clientAddress").asText()
                + (s.path("udpAddress").isTextual() ? ", UDP " + s.path("udpAddress").asText() : ""));
        out.printf(format, "admin port", from);
        out.printf(format, "uptime", AdminPort.duration(s.path("uptimeSeconds").asLong()));
        out.printf(format, "cluster", s.path("cluster").asBoolean() ? "yes (courier cluster for its members)" : "no");
        out.printf(format, "clients", AdminPort.count(s.path("clients").asLong())
                + " (" + AdminPort.count(s.path("accepted").asLong()) + " accepted since start)");
        out.printf(format, "subscriptions", AdminPort.count(s.path("subscriptions").asLong()));
        out.printf(format, "messages in", AdminPort.count(s.path("messagesIn").asLong()));
        out.printf(format, "messages out", AdminPort.count(s.path("messagesOut").asLong()));
        out.printf(format, "bytes in", AdminPort.bytes(s.path("bytesIn").asLong()));
        out.printf(format, "bytes out", AdminPort.bytes(s.path("bytesOut").asLong()));
        out.printf(format, "slow consumers", AdminPort.count(s.path("slowConsumers").asLong()) + " disconnected, "
                + AdminPort.count(s.path("dropped").asLong()) + " messages dropped");
        if (s.path("cluster").asBoolean()) {
            out.printf(format, "cluster forwards", AdminPort.count(s.path("routedOut").asLong()) + " out, "
                    + AdminPort.count(s.path("routedIn").asLong()) + " in, "
                    + AdminPort.count(s.path("routeDrops").asLong()) + " dropped");
        }
        JsonNode udp = s.path("udp");
        if (udp.isObject()) {
            out.printf(format, "UDP datagrams", AdminPort.count(udp.path("datagramsIn").asLong()) + " in, "
                    + AdminPort.count(udp.path("datagramsOut").asLong()) + " out");
        }
    }
}
