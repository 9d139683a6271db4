package io.courier.cli;

import io.courier.broker.auth.Credential;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** `courier passwd` makes hashes the broker accepts, and pub/sub log in with them, over a real socket. */
class AuthCliTest extends EmbeddedBrokerCli {

    @Override
    String brokerConfig() {
        String hash = Credential.hashPassword("s3cret-pw", 10_000).toString();
        return "courier.auth.failure-delay = 0s\n"
                + "courier.auth.users.ops { password = \"" + hash + "\", publish { allow = [\"ops.>\"] } }\n";
    }

    @Test
    void passwdPrintsAHashOfThePasswordOnly() {
        stdin("s3cret-pw\n".getBytes(StandardCharsets.UTF_8));
        assertThat(Main.run("passwd", "--stdin", "--iterations", "10000")).isZero();
        String hash = out().trim();
        assertThat(hash).startsWith("pbkdf2-sha256:10000:").doesNotContain("s3cret-pw");
        assertThat(Credential.parse(hash).verify("s3cret-pw")).isTrue();
        assertThat(Credential.parse(hash).verify("s3cret-px")).isFalse();
    }

    @Test
    void aUserLogsInWithTheHashedPasswordAndIsToldOfARefusedPublish() {
        assertThat(Main.run("pub", "ops.deploy", "go", "--server", server, "--user", "ops", "--password",
                "s3cret-pw")).isZero();
        assertThat(err()).contains("published 1 message to ops.deploy");
        assertThat(Main.run("pub", "billing.x", "go", "--server", server, "--user", "ops", "--password",
                "s3cret-pw")).isEqualTo(1);
        assertThat(err()).contains("courier pub: the broker refused 1 of 1 message: PERMISSION_DENIED: "
                + "PUB billing.x: user 'ops' may not publish to this topic");
        assertThat(Main.run("pub", "ops.deploy", "go", "--server", server, "--user", "ops", "--password",
                "wrong")).isEqualTo(1);
        assertThat(err()).contains("AUTHENTICATION_FAILED").doesNotContain("wrong");
        assertThat(Main.run("pub", "ops.deploy", "go", "--server", server)).isEqualTo(1);
        assertThat(Main.run("pub", "ops.deploy", "go", "--server", server, "--password", "x")).isEqualTo(2);
        assertThat(err()).contains("--password needs --user");
    }

    @Test
    void aNewTokenAndItsHash() {
        assertThat(Main.run("passwd", "--token")).isZero();
        assertThat(out()).containsPattern("token: [A-Za-z0-9_-]{43}\\nhash:  sha256:[A-Za-z0-9+/=]{44}\\n");
    }
}
