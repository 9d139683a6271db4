package io.courier.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key and trust stores for TLS tests, made by the JDK's keytool in a test's own directory (nothing private is
 * committed): a test CA and, signed by it, a broker certificate for localhost / 127.0.0.1, a broker certificate
 * for another host name, and a client certificate; plus a client certificate from a CA nobody trusts. Every store
 * is PKCS12 with the password {@link #PASSWORD}. The CLI's TLS tests use it too, through the broker's test jar.
 */
public record TestCertificates(Path caTrustStore, Path server, Path otherHostServer, Path client, Path rogueClient) {

    public static final String PASSWORD = "test-secret";
    /** The subject of {@link #client()}'s certificate, as the broker reports it (RFC 2253). */
    public static final String CLIENT_SUBJECT = "CN=alice,OU=Tests,O=Courier";

    public static TestCertificates generate(Path dir) {
        try {
            Files.createDirectories(dir);
            Path ca = dir.resolve("ca.p12");
            Path caPem = dir.resolve("ca.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=Courier Test CA", "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString());
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caPem.toString());
            Path trust = dir.resolve("trust.p12");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore",
                    trust.toString());
            Path server = leaf(dir, "server", "CN=localhost", "san=dns:localhost,ip:127.0.0.1", ca, caPem);
            Path other = leaf(dir, "other", "CN=other.example", "san=dns:other.example", ca, caPem);
            Path client = leaf(dir, "client", CLIENT_SUBJECT.replace(",", ", "), null, ca, caPem);
            Path rogueCa = dir.resolve("rogue-ca.p12");
            Path rogueCaPem = dir.resolve("rogue-ca.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=Rogue CA", "-ext", "bc:c", "-validity", "2", "-keystore", rogueCa.toString());
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", rogueCa.toString(), "-file",
                    rogueCaPem.toString());
            Path rogue = leaf(dir, "rogue", "CN=mallory", null, rogueCa, rogueCaPem);
            return new TestCertificates(trust, server, other, client, rogue);
        } catch (IOException e) {
            throw new IllegalStateException("cannot make test certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A key store holding a key pair whose certificate {@code ca} signed, with the CA in its chain. */
    private static Path leaf(Path dir, String name, String dname, String san, Path ca, Path caPem) throws IOException {
        Path store = dir.resolve(name + ".p12");
        Path csr = dir.resolve(name + ".csr");
        Path pem = dir.resolve(name + ".pem");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                "-validity", "2", "-keystore", store.toString());
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(),
                "-infile", csr.toString(), "-outfile", pem.toString(), "-validity", "2"));
        if (san != null) {
            sign.add("-ext");
            sign.add(san);
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", store.toString());
        keytool("-importcert", "-alias", name, "-file", pem.toString(), "-keystore", store.toString());
        return store;
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }
}
