package io.courier.broker.auth;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Base64;

/**
 * A secret as the configuration stores it: never the secret itself, only a hash of it.
 *
 * <ul>
 *   <li>{@code pbkdf2-sha256:<iterations>:<salt>:<hash>} (base64) for passwords: slow on purpose, so a stolen
 *       configuration does not give the passwords away; a check costs tens of milliseconds, so it runs off the
 *       connections' threads (see {@link Authenticator}).</li>
 *   <li>{@code sha256:<hash>} for bearer tokens: a token is long and random ({@code courier passwd --token} makes
 *       one of 256 bits), so a fast hash is enough and a check is cheap enough to make inline.</li>
 * </ul>
 * Hashes come from the JDK: nothing here needs a library.
 */
public sealed interface Credential {

    /** Iterations {@code courier passwd} uses unless told otherwise. */
    int DEFAULT_ITERATIONS = 210_000;

    /** Whether {@code secret} is the one this credential was made from. */
    boolean verify(String secret);

    /** Whether a check is cheap enough to make on a connection's own thread. */
    boolean fast();

    /** A slow, salted password hash. */
    record Pbkdf2(int iterations, byte[] salt, byte[] hash) implements Credential {
        @Override
        public boolean verify(String secret) {
            return MessageDigest.isEqual(hash, pbkdf2(secret, salt, iterations, hash.length));
        }

        @Override
        public boolean fast() {
            return false;
        }

        @Override
        public String toString() {
            return "pbkdf2-sha256:" + iterations + ":" + b64(salt) + ":" + b64(hash);
        }
    }

    /** A fast hash of a long random token. */
    record Sha256(byte[] hash) implements Credential {
        @Override
        public boolean verify(String secret) {
            return MessageDigest.isEqual(hash, sha256(secret));
        }

        @Override
        public boolean fast() {
            return true;
        }

        @Override
        public String toString() {
            return "sha256:" + b64(hash);
        }
    }

    /** Reads a stored credential; the exception's message says what is wrong without repeating the value. */
    static Credential parse(String stored) {
        String[] parts = stored.trim().split(":", -1);
        try {
            if (parts[0].equals("pbkdf2-sha256") && parts.length == 4) {
                int iterations = Integer.parseInt(parts[1]);
                if (iterations < 10_000) {
                    throw new IllegalArgumentException("a pbkdf2-sha256 hash needs at least 10000 iterations");
                }
                byte[] salt = Base64.getDecoder().decode(parts[2]);
                byte[] hash = Base64.getDecoder().decode(parts[3]);
                if (salt.length < 16 || hash.length < 32) {
                    throw new IllegalArgumentException("a pbkdf2-sha256 hash needs a salt of 16 bytes or more and a "
                            + "hash of 32 bytes or more");
                }
                return new Pbkdf2(iterations, salt, hash);
            }
            if (parts[0].equals("sha256") && parts.length == 2) {
                byte[] hash = Base64.getDecoder().decode(parts[1]);
                if (hash.length != 32) {
                    throw new IllegalArgumentException("a sha256 token hash is 32 bytes");
                }
                return new Sha256(hash);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the iteration count is not a number");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("a ")) {
                throw e;
            }
            throw new IllegalArgumentException("a part is not valid base64");
        }
        throw new IllegalArgumentException("not a stored hash: expected pbkdf2-sha256:<iterations>:<salt>:<hash> or "
                + "sha256:<hash>, as `courier passwd` prints (a plain password is never accepted here)");
    }

    /** A new password hash with a random salt. */
    static Pbkdf2 hashPassword(String password, int iterations) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return new Pbkdf2(iterations, salt, pbkdf2(password, salt, iterations, 32));
    }

    /** The stored form of {@code token}. */
    static Sha256 hashToken(String token) {
        return new Sha256(sha256(token));
    }

    /** A new random bearer token: 256 bits, URL-safe base64. */
    static String newToken() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static byte[] pbkdf2(String secret, byte[] salt, int iterations, int length) {
        PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, iterations, length * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no PBKDF2WithHmacSHA256", e);
        } finally {
            spec.clearPassword();
        }
    }

    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
