package io.courier.cli;

import io.courier.broker.auth.Credential;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * Prints the stored form of a password (or of a new bearer token) to paste into {@code courier.auth.users}: the
 * configuration never holds a secret, only its hash.
 */
@Command(name = "passwd", mixinStandardHelpOptions = true,
        description = {"Print a password hash (or a new token and its hash) for courier.auth.users.",
                "The password is read from the terminal without echo, or from standard input with --stdin."},
        footer = {"%nExamples:",
                "  courier passwd                          prompts twice, prints pbkdf2-sha256:...",
                "  printf %s \"$PW\" | courier passwd --stdin",
                "  courier passwd --token                  prints a new random token and its sha256:... hash"})
final class PasswdCommand implements Callable<Integer> {

    @Option(names = "--stdin", description = "read the password from standard input (its first line)")
    boolean stdin;

    @Option(names = "--token", description = "make a new random bearer token instead (256 bits)")
    boolean token;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "" + Credential.DEFAULT_ITERATIONS,
            description = {"PBKDF2 iterations (default ${DEFAULT-VALUE}); each login with a password costs the "
                    + "broker this much hashing (reconnects are cached)"})
    int iterations;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (token) {
            String t = Credential.newToken();
            System.out.println("token: " + t);
            System.out.println("hash:  " + Credential.hashToken(t));
            System.out.println("Give the token to the client (courier --token, Options.token); put the hash in "
                    + "courier.auth.users.NAME.token.");
            return 0;
        }
        if (iterations < 10_000) {
            throw UsageErrors.of(spec, "--iterations must be at least 10000, got " + iterations);
        }
        String password = stdin ? readStdin() : prompt();
        if (password.isEmpty()) {
            throw new CliFailure("the password is empty");
        }
        System.out.println(Credential.hashPassword(password, iterations));
        return 0;
    }

    private static String readStdin() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        return line == null ? "" : line;
    }

    private static String prompt() {
        Console console = System.console();
        if (console == null) {
            throw new CliFailure("no terminal to ask for the password on: pipe it in with --stdin");
        }
        char[] first = console.readPassword("password: ");
        char[] again = console.readPassword("again:    ");
        try {
            if (first == null || again == null || !Arrays.equals(first, again)) {
                throw new CliFailure("the passwords do not match");
            }
            return new String(first);
        } finally {
            if (first != null) {
                Arrays.fill(first, ' ');
            }
            if (again != null) {
                Arrays.fill(again, ' ');
            }
        }
    }
}
