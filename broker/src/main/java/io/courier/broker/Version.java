package io.courier.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The broker's version, as the build wrote it (from the pom) into {@code io/courier/broker/version.properties}. */
public final class Version {

    /** For example {@code 0.1.0-SNAPSHOT}. */
    public static final String CURRENT = read();

    private Version() {
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the broker's version.properties", e);
        }
    }
}
