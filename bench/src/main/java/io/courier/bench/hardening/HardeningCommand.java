package io.courier.bench.hardening;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code courier-bench hardening SCENARIO}: six failure scenarios of the broker core, each run against a broker in
 * a separate process (started by bench/hardening.sh) and ended by hard time limits. Each prints a few lines for
 * people and one line of figures, {@code scenario=NAME key=value ...}, to compare runs before and after a fix.
 */
@Command(name = "hardening", mixinStandardHelpOptions = true,
        description = {"Failure scenarios of the broker core, against a broker in another process (bench/hardening.sh).",
                "  pin         a subscriber that never reads pins the publisher's large reads in the broker's memory",
                "  partial     300 connections each hold an unfinished 1 MiB PUB; can others still connect?",
                "  pauses      publish() durations while 10 subscribers never read",
                "  slowreader  one slow subscriber and one fast one on a 40 MB/s topic",
                "  shutdown    SIGTERM while a slow reader holds a backlog",
                "  churn       100,000 SUBs on 10 connections: bystander PING latency and publish rate"},
        subcommands = {PinScenario.class, PartialScenario.class, PausesScenario.class, SlowReaderScenario.class,
                ShutdownScenario.class, ChurnScenario.class})
public final class HardeningCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    /** Starts a daemon thread: a stuck socket call never keeps the harness alive past its scenario. */
    static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Sleeps without the checked exception; an interrupt ends the sleep and is kept. */
    static void pause(long millis) {
        try {
            Thread.sleep(Math.max(0, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
