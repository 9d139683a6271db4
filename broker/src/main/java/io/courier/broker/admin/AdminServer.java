package io.courier.broker.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The broker's admin HTTP port ({@code courier.admin.*}): health and readiness for process supervisors and
 * Kubernetes probes, and JSON views of the broker and its cluster. The JDK's own HTTP server on two threads of its
 * own: admin traffic is a few requests a second, and nothing here runs on the actors' dispatchers or can hold them
 * up. GET only; anything else is answered 405, an unknown path 404.
 *
 * <ul>
 *   <li>{@code /healthz}: 200 while the broker runs (liveness: restart the process when this fails).</li>
 *   <li>{@code /readyz}: 200 when the broker takes clients, else 503 with the reason (readiness: send no clients
 *       while this fails); a cluster node is ready once it is an Up member, and stops being ready when it starts to
 *       shut down.</li>
 *   <li>{@code /api/server}, {@code /api/cluster}: JSON.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What the admin port shows; each call reads the broker's state as it is now, from an admin thread. */
    public interface Views {
        /** Empty when ready, else why not. */
        Optional<String> notReady();

        Object server();

        /** The cluster's status, or empty for a broker that runs alone. */
        Optional<Object> cluster();
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code host:port} (0: any free port) and serves {@code views}.
     *
     * @throws IllegalStateException when the port cannot be bound, naming the setting
     */
    public static AdminServer start(String host, int port, Views views) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the admin port " + host + ":" + port
                    + " (courier.admin.host / port): " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "courier-admin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        Map<String, Supplier<Response>> routes = Map.of(
                "/healthz", () -> Response.text(200, "ok\n"),
                "/readyz", () -> views.notReady().map(why -> Response.text(503, why + "\n"))
                        .orElse(Response.text(200, "ready\n")),
                "/api/server", () -> Response.json(views.server()),
                "/api/cluster", () -> views.cluster().map(Response::json)
                        .orElse(Response.text(404, "this broker runs alone: courier.cluster.enabled is off\n")));
        server.createContext("/", exchange -> handle(exchange, routes));
        server.start();
        return new AdminServer(server, executor);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void handle(HttpExchange exchange, Map<String, Supplier<Response>> routes) throws IOException {
        try (exchange) {
            Supplier<Response> route = routes.get(exchange.getRequestURI().getPath());
            Response r;
            if (route == null) {
                r = Response.text(404, "no such page; try /healthz, /readyz, /api/server or /api/cluster\n");
            } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                r = Response.text(405, "only GET is served here\n");
            } else {
                try {
                    r = route.get();
                } catch (RuntimeException e) {
                    log.warn("admin {} failed", exchange.getRequestURI().getPath(), e);
                    r = Response.text(500, "internal error: " + e + "\n");
                }
            }
            byte[] body = r.body();
            exchange.getResponseHeaders().add("Content-Type", r.contentType());
            exchange.getResponseHeaders().add("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(r.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private record Response(int status, String contentType, byte[] body) {
        static Response text(int status, String text) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }

        static Response json(Object value) {
            try {
                return new Response(200, "application/json", JSON.writeValueAsBytes(value));
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
            }
        }
    }
}
