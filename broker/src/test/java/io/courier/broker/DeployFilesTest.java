package io.courier.broker;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deploy/ files set the broker through environment variables: every COURIER_* name they set must be one the
 * broker reads (reference.conf or the example configs), or a typo in a manifest would silently leave a default.
 * (Docker and Kubernetes cannot run here; this is what can be checked of them without.)
 */
class DeployFilesTest {

    private static final Path ROOT = Path.of("..");
    /** Read by the container's entrypoint, not by the broker. */
    private static final Set<String> LAUNCHER_ONLY = Set.of("COURIER_CONFIG");

    private static Set<String> namesRead() throws IOException {
        Set<String> read = new TreeSet<>();
        StringBuilder all = new StringBuilder();
        try (InputStream in = Broker.class.getResourceAsStream("/reference.conf")) {
            all.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        all.append(Files.readString(ROOT.resolve("config/cluster-node.conf")));
        all.append(Files.readString(ROOT.resolve("config/single-node.conf")));
        Matcher m = Pattern.compile("\\$\\{\\?(COURIER_[A-Z_]+)}").matcher(all);
        while (m.find()) {
            read.add(m.group(1));
        }
        return read;
    }

    private static Set<String> namesSet(String file, String pattern) throws IOException {
        Set<String> set = new TreeSet<>();
        Matcher m = Pattern.compile(pattern).matcher(Files.readString(ROOT.resolve(file)));
        while (m.find()) {
            set.add(m.group(1));
        }
        set.removeAll(LAUNCHER_ONLY);
        return set;
    }

    @Test
    void everyVariableTheDeployFilesSetIsOneTheBrokerReads() throws IOException {
        Set<String> read = namesRead();
        Set<String> kubernetes = namesSet("deploy/kubernetes/courier.yaml", "name: (COURIER_[A-Z_]+)");
        Set<String> docker = namesSet("deploy/docker/Dockerfile", "(COURIER_[A-Z_]+)=");
        Set<String> local = namesSet("deploy/local-cluster.sh", "(COURIER_[A-Z_]+)=\\$");
        assertThat(kubernetes).hasSizeGreaterThan(8);
        assertThat(read).containsAll(kubernetes).containsAll(docker).containsAll(local);
    }

    /** One list of JVM flags: the installed layouts run the script the image and the unit install. */
    @Test
    void everyLauncherTakesItsJvmFlagsFromTheOneScript() throws Exception {
        String docker = Files.readString(ROOT.resolve("deploy/docker/Dockerfile"));
        assertThat(docker).contains("COPY deploy/jvm-flags.sh /opt/courier/jvm-flags.sh")
                .contains("exec java $(/opt/courier/jvm-flags.sh) $JAVA_OPTS");
        String unit = Files.readString(ROOT.resolve("deploy/systemd/courier.service"));
        assertThat(unit).contains("install -m 755 deploy/jvm-flags.sh /opt/courier/jvm-flags.sh")
                .contains("exec /usr/bin/java $$(/opt/courier/jvm-flags.sh) $JAVA_OPTS");
        for (String script : new String[] {"courier", "deploy/local-cluster.sh", "bench/cluster.sh", "bench/handshakes.sh"}) {
            assertThat(Files.readString(ROOT.resolve(script))).as(script).contains("/jvm-flags.sh\")")
                    .doesNotContain("G1PeriodicGCInterval");
        }
        Process flags = new ProcessBuilder(ROOT.resolve("deploy/jvm-flags.sh").toString()).start();
        String printed = new String(flags.getInputStream().readAllBytes()).trim();
        assertThat(flags.waitFor()).isZero();
        assertThat(printed).startsWith("-XX:G1PeriodicGCInterval=5000");
        if (Runtime.getRuntime().availableProcessors() <= 4) {
            assertThat(printed).contains("-XX:CICompilerCount=4");
        }
    }

    @Test
    void theExampleConfigsParse() {
        for (String f : new String[] {"config/single-node.conf", "config/cluster-node.conf"}) {
            BrokerSettings.rejectUnknownKeys(ConfigFactory.parseFile(ROOT.resolve(f).toFile())
                    .withFallback(ConfigFactory.defaultReference()).resolve(), ConfigFactory.defaultReference());
        }
    }
}
