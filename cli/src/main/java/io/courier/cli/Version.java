package io.courier.cli;

import picocli.CommandLine;

/** Version string shown by {@code courier --version}. */
final class Version implements CommandLine.IVersionProvider {

    static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"courier " + VERSION + " (Java " + System.getProperty("java.version") + ")"};
    }
}
