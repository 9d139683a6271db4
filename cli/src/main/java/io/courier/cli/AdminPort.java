package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
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

/**
 * {@code --admin HOST:PORT[,HOST:PORT...]}, for the commands that read a broker's admin port ({@code stats},
 * {@code connections}, {@code cluster}), and the GET they send: each address is tried in turn, the first that
 * answers 200 is used.
 */
final class AdminPort {

    static final String DEFAULT = "127.0.0.1:4880";

    @Option(names = {"-a", "--admin"}, paramLabel = "HOST:PORT", split = ",", defaultValue = DEFAULT,
            description = "a broker's admin address(es) (courier.admin.host / port; default: ${DEFAULT-VALUE})")
    List<String> admins;

    @Option(names = "--json", description = "print the broker's JSON as it is")
    boolean json;

    /** A 200 answer: which address gave it, and its body. */
    record Answer(String address, String body) {
        JsonNode json() throws IOException {
            return new ObjectMapper().readTree(body);
        }
    }

    /** How a command prints an answer as a table. */
    interface Table {
        void print(PrintWriter out, Answer answer) throws IOException;
    }

    /** GETs {@code path} and prints it: the broker's JSON as it is with {@code --json}, else as {@code table}. */
    int show(CommandLine commandLine, String path, Table table) throws IOException, InterruptedException {
        Answer a = get(commandLine, path);
        PrintWriter out = commandLine.getOut();
        if (json) {
            out.println(a.body());
        } else {
            table.print(out, a);
        }
        out.flush();
        return 0;
    }

    /** GETs {@code path} from the first admin address that answers it with 200. */
    Answer get(CommandLine commandLine, String path) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<String> failures = new ArrayList<>();
        for (String admin : admins) {
            String address = admin.trim();
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(URI.create("http://" + address + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, "--admin: '" + address + "' is not HOST:PORT");
            } catch (IOException e) {
                failures.add(address + " (" + why(e) + ")");
                continue;
            }
            if (r.statusCode() != 200) {
                failures.add(address + " (HTTP " + r.statusCode() + ": " + r.body().trim() + ")");
                continue;
            }
            return new Answer(address, r.body());
        }
        throw new CliFailure("no admin port answered: " + String.join(", ", failures)
                + "; is the admin port on? (courier.admin.enabled = true on the broker, and --admin HOST:PORT "
                + "when it is not " + DEFAULT + ")");
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

    /** A count for a table: thousands grouped, so that columns of large numbers stay readable. */
    static String count(long n) {
        return String.format("%,d", n);
    }

    /** Bytes for a table: B, KiB, MiB, GiB. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    /** A duration in seconds for a table: 45s, 12m 3s, 5h 2m, 3d 4h. */
    static String duration(long seconds) {
        long d = seconds / 86_400;
        long h = seconds % 86_400 / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        return d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m > 0 ? m + "m " + s + "s" : s + "s";
    }
}
