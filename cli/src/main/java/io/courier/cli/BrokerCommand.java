package io.courier.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.courier.broker.Broker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** Runs a broker in the foreground until interrupted (Ctrl-C stops it gracefully). */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a Courier broker in the foreground; Ctrl-C stops it gracefully, SIGHUP reloads users and "
                + "permissions (courier.auth) from the configuration.",
                "Settings come from, highest first: --host/--port, -D system properties (JAVA_OPTS),"
                        + " the --config file, the built-in defaults (reference.conf)."})
final class BrokerCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "HOCON configuration file (see config/)")
    File config;

    @Option(names = {"--host"}, paramLabel = "HOST", description = "interface to listen on (courier.host)")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "TCP port for clients (courier.port)")
    Integer port;

    @Override
    public Integer call() throws Exception {
        Broker broker;
        try {
            broker = Broker.start(resolve());
        } catch (IllegalArgumentException e) {
            throw new CliFailure("invalid configuration: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new CliFailure(e.getMessage());
        }
        // The broker's own start-up lines (on stderr, through the logger) say where it listens: nothing on stdout.
        broker.configurationSource(this::resolve);
        Signals.onStop(broker);
        broker.whenTerminated().toCompletableFuture().join();
        return 0;
    }

    Config resolve() {
        Config file = ConfigFactory.empty();
        if (config != null) {
            if (!config.isFile()) {
                throw new CliFailure("config file " + config + " does not exist or is not a file");
            }
            try {
                file = ConfigFactory.parseFile(config, ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new CliFailure("cannot read config file " + config + ": " + e.getMessage());
            }
        }
        Map<String, Object> flags = new HashMap<>();
        if (host != null) {
            flags.put("courier.host", host);
        }
        if (port != null) {
            flags.put("courier.port", port);
        }
        return ConfigFactory.parseMap(flags, "command-line options").withFallback(ConfigFactory.systemProperties())
                .withFallback(file);
    }
}
