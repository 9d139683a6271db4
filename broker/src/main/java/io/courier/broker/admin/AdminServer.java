package io.courier.broker.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The broker's admin HTTP port ({@code courier.admin.*}): health and readiness for process supervisors and
 * Kubernetes probes, Prometheus metrics, JSON views of the broker, its links and its cluster, runtime log levels
 * and a small dashboard. The JDK's own HTTP server on two threads of its own: admin traffic is a few requests a
 * second, and nothing here runs on the actors' dispatchers or can hold them up. GET only, except
 * {@code POST /api/loglevel}; another method is answered 405, an unknown path 404, a bad parameter 400.
 *
 * <ul>
 *   <li>{@code /healthz}: 200 while the broker runs (liveness: restart the process when this fails).</li>
 *   <li>{@code /readyz}: 200 when the broker takes clients, else 503 with the reason (readiness: send no clients
 *       while this fails); a cluster node is ready once it is an Up member, and stops being ready when it starts to
 *       shut down.</li>
 *   <li>{@code /metrics}: the Prometheus text format.</li>
 *   <li>{@code /api/server}, {@code /api/connections?offset=&limit=}, {@code /api/subscriptions?limit=},
 *       {@code /api/topics?limit=}, {@code /api/cluster}: JSON.</li>
 *   <li>{@code /api/loglevel?logger=}: a logger's level (GET), or set it with {@code &level=} (POST).</li>
 *   <li>{@code POST /api/reload}: reads the configuration again and puts its {@code courier.auth} in force.</li>
 *   <li>{@code /}: the dashboard (static files from the broker's jar).</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String DASHBOARD = "/io/courier/broker/admin/dashboard/";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/dashboard.js", "dashboard.js",
            "/dashboard.css", "dashboard.css");

    /** What the admin port shows; each call reads the broker's state as it is now, from an admin thread. */
    public interface Views {
        /** Empty when ready, else why not. */
        Optional<String> notReady();

        Object server();

        /** The cluster's status, or empty for a broker that runs alone. */
        Optional<Object> cluster();

        /** The Prometheus text exposition. */
        String metrics();

        Object connections(int offset, int limit);

        Object subscriptions(int limit);

        Object topics(int limit);

        /**
         * Reads the configuration again and puts its {@code courier.auth} in force; returns a summary.
         *
         * @throws IllegalArgumentException naming the bad setting; nothing changed
         */
        String reloadAuth();
    }

    /** A request's query parameters, decoded; a bad one is answered 400 with {@link BadRequest}'s message. */
    record Query(Map<String, String> params) {
        int intParam(String name, int fallback, int min, int max) {
            String v = params.get(name);
            if (v == null || v.isEmpty()) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // answered below
            }
            throw new BadRequest(name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
        }

        String param(String name) {
            return params.get(name);
        }
    }

    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    private record Route(boolean post, Function<Query, Response> handler) { }

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** What a failure to bind the admin port says before its reason, naming the settings to change. */
    public static String cannotBind(String host, int port) {
        return "cannot bind the admin port " + host + ":" + port + " (courier.admin.host / port)";
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
            throw new IllegalStateException(cannotBind(host, port) + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "courier-admin-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        Map<String, Route> routes = new HashMap<>();
        routes.put("/healthz", get(q -> Response.text(200, "ok\n")));
        routes.put("/readyz", get(q -> views.notReady().map(why -> Response.text(503, why + "\n"))
                .orElse(Response.text(200, "ready\n"))));
        routes.put("/metrics", get(q -> new Response(200, "text/plain; version=0.0.4; charset=utf-8",
                views.metrics().getBytes(StandardCharsets.UTF_8))));
        routes.put("/api/server", get(q -> Response.json(views.server())));
        routes.put("/api/cluster", get(q -> views.cluster().map(Response::json)
                .orElse(Response.text(404, "this broker runs alone: courier.cluster.enabled is off\n"))));
        routes.put("/api/connections", get(q -> Response.json(views.connections(
                q.intParam("offset", 0, 0, Integer.MAX_VALUE), q.intParam("limit", 100, 1, 10_000)))));
        routes.put("/api/subscriptions", get(q -> Response.json(views.subscriptions(
                q.intParam("limit", 1000, 1, 100_000)))));
        routes.put("/api/topics", get(q -> Response.json(views.topics(q.intParam("limit", 10, 1, 1000)))));
        routes.put("/api/loglevel", new Route(true, LogLevels::handle));
        routes.put("/api/reload", new Route(true, q -> {
            if (!q.param("#method").equals("POST")) {
                return Response.text(405, "POST /api/reload reads courier.auth (users, permissions) again\n");
            }
            try {
                return Response.text(200, views.reloadAuth() + "\n");
            } catch (IllegalArgumentException e) {
                return Response.text(400, "not reloaded, the settings in force stay: " + e.getMessage() + "\n");
            }
        }));
        STATIC.forEach((path, file) -> routes.put(path, get(q -> Response.resource(file))));
        server.createContext("/", exchange -> handle(exchange, routes));
        server.start();
        return new AdminServer(server, executor);
    }

    private static Route get(Function<Query, Response> handler) {
        return new Route(false, handler);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void handle(HttpExchange exchange, Map<String, Route> routes) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            Route route = routes.get(exchange.getRequestURI().getPath());
            Response r;
            if (route == null) {
                r = Response.text(404, "no such page; try /, /healthz, /readyz, /metrics, /api/server, "
                        + "/api/connections, /api/subscriptions, /api/topics, /api/cluster, /api/loglevel or /api/reload\n");
            } else if (!method.equals("GET") && !method.equals("HEAD") && !(route.post() && method.equals("POST"))) {
                exchange.getResponseHeaders().add("Allow", route.post() ? "GET, HEAD, POST" : "GET, HEAD");
                r = Response.text(405, route.post() ? "only GET and POST are served here\n"
                        : "only GET is served here\n");
            } else {
                try {
                    Map<String, String> params = query(exchange.getRequestURI().getRawQuery());
                    params.put("#method", method);
                    r = route.handler().apply(new Query(params));
                } catch (BadRequest e) {
                    r = Response.text(400, e.getMessage() + "\n");
                } catch (RuntimeException e) {
                    log.warn("admin {} failed", exchange.getRequestURI().getPath(), e);
                    r = Response.text(500, "internal error: " + e + "\n");
                }
            }
            byte[] body = r.body();
            exchange.getResponseHeaders().add("Content-Type", r.contentType());
            exchange.getResponseHeaders().add("Cache-Control", "no-store");
            boolean head = method.equals("HEAD");
            exchange.sendResponseHeaders(r.status(), head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                params.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("the query '" + raw + "' is not URL-encoded correctly");
            }
        }
        return params;
    }

    record Response(int status, String contentType, byte[] body) {
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

        static Response resource(String file) {
            try (InputStream in = AdminServer.class.getResourceAsStream(DASHBOARD + file)) {
                if (in == null) {
                    return text(404, "the dashboard's " + file + " is not in this build\n");
                }
                String type = file.endsWith(".html") ? "text/html; charset=utf-8"
                        : file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
                return new Response(200, type, in.readAllBytes());
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the dashboard's " + file, e);
            }
        }
    }
}
