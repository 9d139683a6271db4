package io.courier.cli;

import io.courier.broker.Broker;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.net.URL;

/**
 * What the signals an operator sends do to a broker run from the command line. SIGTERM and SIGINT stop it
 * gracefully (the drain of docs/protocol.md, section 5.4) and the process then exits 0, as a service manager expects
 * of a clean stop; by default the JVM would run its shutdown hooks and exit 143 or 130. SIGHUP does not stop the
 * broker (by default it would): it reads the configuration again and puts its {@code courier.auth} (users,
 * passwords, permissions) in force, and reads a logging configuration file again, if logging came from one.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported) is the JDK's only way to handle a signal instead of exiting.
 */
final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    static void onStop(Broker broker) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    log.info("SIG{} received: stopping gracefully", signal.getName());
                    // The broker's stop runs on its own thread: a signal handler must return promptly.
                    Thread stopper = new Thread(broker::stop, "courier-stop");
                    stopper.start();
                });
            } catch (IllegalArgumentException e) {
                log.debug("cannot handle SIG{} here: {}", name, e.getMessage());
            }
        }
        try {
            Signal.handle(new Signal("HUP"), signal -> new Thread(() -> {
                reloadLogging();
                reloadAuth(broker);
            }, "courier-reload").start());
        } catch (IllegalArgumentException e) {
            log.debug("cannot handle SIGHUP here: {}", e.getMessage());
        }
    }

    private static void reloadAuth(Broker broker) {
        try {
            broker.reloadAuth();
        } catch (RuntimeException e) {
            log.error("SIGHUP received: courier.auth was NOT reloaded, the settings in force stay: {}",
                    e.getMessage());
        }
    }

    /**
     * Reads the logging configuration file again, when there is one (-Dlogback.configurationFile): levels change and
     * file appenders reopen their files, as log rotation expects. The broker's settings are not reloaded.
     */
    private static void reloadLogging() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            log.info("SIGHUP received: logging is not logback, nothing to reload; the broker keeps running");
            return;
        }
        URL file = ConfigurationWatchListUtil.getMainWatchURL(context);
        if (file == null || !"file".equals(file.getProtocol())) {
            log.info("SIGHUP received: logging uses the bundled configuration, nothing to reload; the broker keeps "
                    + "running");
            return;
        }
        try {
            context.reset();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(file);
            log.info("SIGHUP received: logging configuration read again from {}; the broker keeps running", file);
        } catch (JoranException e) {
            System.err.println("courier: SIGHUP: cannot read the logging configuration " + file + ": "
                    + e.getMessage());
        }
    }
}
