package io.courier.broker.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValueType;
import io.courier.protocol.Topic;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code courier.auth}: who may connect and what each user may do. Read at start-up and again on every reload
 * (SIGHUP, the admin port's reload), always whole: a reload with a bad value changes nothing and says why.
 *
 * @param anonymous       whether a client that sends no credentials is let in
 * @param anonymousRights what such a client may do
 * @param users           the users by name
 * @param tokens          the users that log in with a bearer token alone, by the base64 of the token's hash
 * @param certificateUsers whether a TLS client certificate's CN logs its client in as the user of that name
 */
public record AuthSettings(boolean anonymous, Permissions anonymousRights, Map<String, User> users,
                           Map<String, User> tokens, Duration failureDelay, int maxFailuresPerAddress,
                           Duration failureWindow, boolean disconnectOnViolation, int verifiedCacheSize,
                           boolean certificateUsers) {

    /**
     * A configured user: its stored credential (null for a user that logs in only with a TLS client certificate)
     * and its permissions.
     */
    public record User(String name, Credential credential, Permissions permissions) {
        /** The stored hash, or "certificate": what a reload compares to tell whether the credential changed. */
        String credentialId() {
            return credential == null ? "certificate" : credential.toString();
        }
    }

    private static final String PREFIX = "courier.auth.";
    private static final Set<String> USER_KEYS = Set.of("password", "token", "publish", "subscribe");

    public AuthSettings {
        users = Map.copyOf(users);
        tokens = Map.copyOf(tokens);
    }

    /**
     * Anonymous clients in with every right, no users: only for the broker's start-up warm-up, whose private loopback
     * listener serves a throwaway router (see {@code WarmUp}).
     */
    public static AuthSettings anonymousOnly() {
        return new AuthSettings(true, Permissions.ALL, Map.of(), Map.of(), Duration.ZERO, Integer.MAX_VALUE,
                Duration.ofMinutes(1), false, 0, false);
    }

    /** Reads {@code courier.auth} from a resolved config that includes the reference defaults. */
    public static AuthSettings from(Config config) {
        Config auth = config.getConfig("courier.auth");
        Map<String, User> users = new LinkedHashMap<>();
        Map<String, User> tokens = new LinkedHashMap<>();
        ConfigObject declared = auth.getObject("users");
        for (String name : declared.keySet()) {
            String key = PREFIX + "users." + name;
            if (declared.get(name).valueType() != ConfigValueType.OBJECT) {
                throw new IllegalArgumentException(key + ": must be an object such as { password = \"pbkdf2-sha256:"
                        + "...\" } (a hash printed by `courier passwd`)");
            }
            if (name.isEmpty() || Topic.invalidTopicReason(name) != null) {
                throw new IllegalArgumentException(key + ": a user name is printable characters without spaces, wildcards or empty dot-separated parts");
            }
            Config u = auth.getConfig("users.\"" + name + "\"");
            for (String k : u.root().keySet()) {
                if (!USER_KEYS.contains(k)) {
                    throw new IllegalArgumentException(key + "." + k + ": unknown setting; a user has password or "
                            + "token, publish and subscribe");
                }
            }
            boolean password = u.hasPath("password");
            boolean token = u.hasPath("token");
            if (password && token) {
                throw new IllegalArgumentException(key + ": needs one of password (a pbkdf2-sha256 hash) or token (a "
                        + "sha256 hash), as `courier passwd` prints, not both");
            }
            if (!password && !token) {
                // Logs in with a TLS client certificate only (courier.auth.certificate-users).
                users.put(name, new User(name, null, permissions(u, key)));
                continue;
            }
            String field = password ? "password" : "token";
            Credential credential;
            try {
                credential = Credential.parse(u.getString(field));
            } catch (ConfigException e) {
                throw new IllegalArgumentException(key + "." + field + ": must be a string", e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + "." + field + ": " + e.getMessage());
            }
            if (password != credential instanceof Credential.Pbkdf2) {
                throw new IllegalArgumentException(key + "." + field + ": " + (password
                        ? "a password is stored as a pbkdf2-sha256 hash (`courier passwd`)"
                        : "a token is stored as a sha256 hash (`courier passwd --token`)"));
            }
            User user = new User(name, credential, permissions(u, key));
            users.put(name, user);
            if (credential instanceof Credential.Sha256 t) {
                tokens.put(Base64.getEncoder().encodeToString(t.hash()), user);
            }
        }
        String anonymous = string(auth, "anonymous").trim().toLowerCase(java.util.Locale.ROOT);
        boolean anonymousOn = switch (anonymous) {
            case "auto" -> users.isEmpty();
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw new IllegalArgumentException(PREFIX + "anonymous: must be auto, true or false, got '"
                    + anonymous + "'");
        };
        return new AuthSettings(anonymousOn, permissions(auth.getConfig("anonymous-permissions"),
                PREFIX + "anonymous-permissions"), users, tokens,
                duration(auth, "failure-delay"), count(auth, "max-failures-per-address", 1),
                positive(duration(auth, "failure-window"), "failure-window"),
                bool(auth, "disconnect-on-violation"), count(auth, "verified-cache-size", 0),
                bool(auth, "certificate-users"));
    }

    /** Whether anyone at all is checked: with no users and anonymous access, every CONNECT is let in. */
    public boolean open() {
        return anonymous && users.isEmpty();
    }

    private static Permissions permissions(Config c, String key) {
        return new Permissions(rules(c, "publish", key), rules(c, "subscribe", key));
    }

    private static Permissions.Rules rules(Config c, String direction, String key) {
        List<String> allow = c.hasPath(direction + ".allow") ? patterns(c, direction + ".allow", key)
                : Permissions.Rules.ALL.allow();
        List<String> deny = c.hasPath(direction + ".deny") ? patterns(c, direction + ".deny", key) : List.of();
        return new Permissions.Rules(allow, deny);
    }

    private static List<String> patterns(Config c, String path, String key) {
        List<String> list;
        try {
            list = c.getStringList(path);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(key + "." + path + ": must be a list of patterns such as "
                    + "[\"orders.>\"]", e);
        }
        for (String p : list) {
            String invalid = Topic.invalidPatternReason(p);
            if (invalid != null) {
                throw new IllegalArgumentException(key + "." + path + ": '" + p + "' is not a valid pattern: "
                        + invalid);
            }
        }
        return list;
    }

    private static String string(Config c, String key) {
        try {
            return c.getString(key);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(PREFIX + key + ": " + e.getMessage(), e);
        }
    }

    private static Duration duration(Config c, String key) {
        try {
            Duration d = c.getDuration(key);
            if (d.isNegative()) {
                throw new IllegalArgumentException(PREFIX + key + ": must not be negative, got " + d);
            }
            return d;
        } catch (ConfigException e) {
            throw new IllegalArgumentException(PREFIX + key + ": must be a duration such as 1s", e);
        }
    }

    private static Duration positive(Duration d, String key) {
        if (d.isZero()) {
            throw new IllegalArgumentException(PREFIX + key + ": must be a positive duration such as 1m");
        }
        return d;
    }

    private static int count(Config c, String key, int min) {
        try {
            long v = c.getLong(key);
            if (v < min || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(PREFIX + key + ": must be between " + min + " and "
                        + Integer.MAX_VALUE + ", got " + v);
            }
            return (int) v;
        } catch (ConfigException e) {
            throw new IllegalArgumentException(PREFIX + key + ": must be a whole number", e);
        }
    }

    private static boolean bool(Config c, String key) {
        try {
            return c.getBoolean(key);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(PREFIX + key + ": must be true or false", e);
        }
    }
}
