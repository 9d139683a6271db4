package io.courier.cli;

import io.courier.broker.Broker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * What the signals an operator sends do to a broker run from the command line. SIGTERM and SIGINT stop it
 * gracefully (the drain of docs/protocol.md, section 5.4) and the process then exits 0, as a service manager expects
 * of a clean stop; by default the JVM would run its shutdown hooks and exit 143 or 130. SIGHUP does not stop the
 * broker (by default it would): nothing is reloaded yet, and it says so.
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
            Signal.handle(new Signal("HUP"), signal ->
                    log.info("SIGHUP received: nothing to reload in this version; the broker keeps running"));
        } catch (IllegalArgumentException e) {
            log.debug("cannot handle SIGHUP here: {}", e.getMessage());
        }
    }
}
