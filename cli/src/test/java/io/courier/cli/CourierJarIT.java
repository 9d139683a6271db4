package io.courier.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What users ship: the shaded {@code courier.jar} that {@code mvn verify} builds holds the broker, the client, the CLI
 * and Courier's own load generator, and nothing of the benchmark's peers (no NATS or MQTT client, no peer driver of
 * any package, no class of the bench module). Runs in the verify phase, after packaging (see cli/pom.xml).
 */
class CourierJarIT {

    private static List<String> classes() throws IOException {
        String property = System.getProperty("courier.jar");
        // Set only by the verify-phase execution in cli/pom.xml; elsewhere (a -Dtest pattern, an IDE) there is no jar.
        assumeTrue(property != null, "not the jar-contents execution of cli/pom.xml");
        Path jar = Path.of(property);
        assertThat(jar).as("the shaded jar; run this through mvn verify").isRegularFile();
        assertThat(Files.size(jar)).isPositive();
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")).toList();
        }
    }

    @Test
    void holdsNoPeerClientOrDriver() throws IOException {
        List<String> classes = classes();

        assertThat(classes).as("classes of the NATS client, Paho MQTT or the bench module")
                .noneMatch(n -> n.startsWith("io/nats/") || n.startsWith("org/eclipse/paho/")
                        || n.startsWith("io/courier/bench/"));
        assertThat(classes).as("NATS or MQTT classes of any package")
                .noneMatch(n -> {
                    String simple = n.substring(n.lastIndexOf('/') + 1);
                    return simple.contains("Nats") || simple.contains("NATS") || simple.contains("Mqtt")
                            || simple.contains("MQTT");
                });
    }

    @Test
    void holdsTheBrokerTheClientTheCliAndCouriersLoadGenerator() throws IOException {
        assertThat(classes()).contains("io/courier/cli/Main.class", "io/courier/broker/Broker.class",
                "io/courier/client/Courier.class", "io/courier/loadgen/PubSubBench.class",
                "io/courier/loadgen/CourierDriver.class");
    }
}
