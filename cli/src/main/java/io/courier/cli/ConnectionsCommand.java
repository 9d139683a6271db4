package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code courier connections}: a broker's client links, from its admin port's {@code /api/connections}. */
@Command(name = "connections", mixinStandardHelpOptions = true,
        description = "List a broker's client connections: name, address, transport, subscriptions, traffic, "
                + "queued bytes, idle time.",
        footer = {"%nThe broker must run with its admin port open (courier.admin.enabled = true).",
                "%nExamples:", "  courier connections", "  courier connections --offset 100 --limit 100 --json"})
final class ConnectionsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AdminPort admin;

    @Option(names = "--offset", paramLabel = "N", defaultValue = "0",
            description = "skip the first N connections (in the order they were opened; default: ${DEFAULT-VALUE})")
    int offset;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "list at most N connections (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() throws Exception {
        if (offset < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--offset must be 0 or more");
        }
        if (limit < 1 || limit > 10_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be from 1 to 10000");
        }
        return admin.show(spec.commandLine(), "/api/connections?offset=" + offset + "&limit=" + limit,
                (out, a) -> print(out, a.json()));
    }

    static void print(PrintWriter out, JsonNode page) {
        JsonNode list = page.path("connections");
        int total = page.path("total").asInt();
        if (list.isEmpty()) {
            out.println(total == 0 ? "no connections" : "no connections from " + page.path("offset").asInt()
                    + " on (" + total + " open)");
            return;
        }
        String format = "%6s %-20s %-21s %-9s %5s %12s %12s %10s %10s %8s%n";
        out.printf(format, "ID", "NAME", "REMOTE", "TRANSPORT", "SUBS", "MSGS IN", "MSGS OUT", "BYTES IN",
                "PENDING", "IDLE");
        for (JsonNode c : list) {
            String name = c.path("name").asText();
            out.printf(format, c.path("id").asText(), name.isEmpty() ? "-" : name, c.path("remote").asText(),
                    c.path("connected").asBoolean() ? c.path("transport").asText() : "handshake",
                    c.path("subscriptions").asText(), AdminPort.count(c.path("messagesIn").asLong()),
                    AdminPort.count(c.path("messagesOut").asLong()), AdminPort.bytes(c.path("bytesIn").asLong()),
                    AdminPort.bytes(c.path("pendingBytes").asLong()),
                    AdminPort.duration(c.path("idleMillis").asLong() / 1000));
        }
        int from = page.path("offset").asInt();
        if (from > 0 || from + list.size() < total) {
            out.printf("connections %d to %d of %d (--offset, --limit for more)%n", from + 1, from + list.size(),
                    total);
        }
    }
}
