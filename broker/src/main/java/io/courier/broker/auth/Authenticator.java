package io.courier.broker.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Decides who gets in, broker-wide and thread-safe. Most decisions are made at once, on the connection's own
 * thread: anonymous access, a bearer token (one SHA-256), a password verified recently. A password hash to verify
 * (PBKDF2, tens of milliseconds of CPU on purpose) is handed to one thread of its own, so a login never holds up
 * the threads that move messages, and a flood of logins queues there (at most {@value #MAX_QUEUED}; past it, a
 * login is refused as "busy") instead of taking the broker's CPU.
 *
 * <p>A refusal is answered only after {@code failure-delay} from when the CONNECT was read, whatever the reason, so
 * the answer's timing says nothing about whether the user exists; failures are counted per source address, and an
 * address past {@code max-failures-per-address} within {@code failure-window} is refused without any check until
 * its window ends. Logs name the user and the address, never the secret.
 *
 * <p>Verified passwords are remembered (as a SHA-256 of user, password and stored hash, so the cache holds no
 * password) for reconnects: a broker restart followed by thousands of reconnects then costs one PBKDF2 per user,
 * not per connection. A reload forgets them all.
 */
public final class Authenticator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);
    static final int MAX_QUEUED = 10_000;
    /**
     * Addresses whose failed logins are remembered; past it, those whose window has passed are forgotten, and all
     * of them if that is not enough.
     */
    private static final int MAX_ADDRESSES = 10_000;

    /** What became of a login. */
    public sealed interface Outcome permits Accepted, Refused { }

    public record Accepted(Grant grant) implements Outcome { }

    /** {@code reason} is what the client is told; it never says which of user or password was wrong. */
    public record Refused(String reason) implements Outcome { }

    private volatile AuthSettings settings;
    private final Set<Grant> grants = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> verified = new ConcurrentHashMap<>();
    private final Map<InetAddress, Failures> failures = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();
    private final ThreadPoolExecutor hashing;
    private final ScheduledThreadPoolExecutor delays;

    public Authenticator(AuthSettings settings) {
        this.settings = settings;
        this.hashing = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_QUEUED),
                daemon("courier-auth"));
        this.delays = new ScheduledThreadPoolExecutor(1, daemon("courier-auth-delay"));
        delays.setRemoveOnCancelPolicy(true);
        warmUp(settings);
    }

    /** The first PBKDF2 in a JVM runs interpreted, many times slower: make it before the first client waits on it. */
    private void warmUp(AuthSettings s) {
        s.users().values().stream().filter(u -> u.credential() != null && !u.credential().fast()).findFirst()
                .ifPresent(u -> hashing.execute(() -> u.credential().verify("")));
    }

    public AuthSettings settings() {
        return settings;
    }

    /** Logins refused since start. */
    public long refusedCount() {
        return refused.sum();
    }

    /**
     * Decides on a CONNECT's credentials from {@code address}: returns the outcome when it is known at once, or
     * null when it comes later through {@code later} (on another thread). An anonymous client sends an empty user
     * and password; a token alone comes as an empty user and the token as the password.
     */
    public Outcome authenticate(String user, String password, InetAddress address, Consumer<Outcome> later) {
        return authenticate(user, password, null, address, later);
    }

    /**
     * As the other, for a TLS client whose verified certificate names {@code certificateName} (its subject's CN;
     * null without one). With {@code courier.auth.certificate-users} on, a client that sends no credentials is let
     * in as the user of that name.
     */
    public Outcome authenticate(String user, String password, String certificateName, InetAddress address,
                                Consumer<Outcome> later) {
        AuthSettings s = settings;
        long start = System.nanoTime();
        if (user.isEmpty() && password.isEmpty() && certificateName != null && s.certificateUsers()) {
            AuthSettings.User u = s.users().get(certificateName);
            if (u != null) {
                return accept(grantFor(u));
            }
            return refuse(s, start, address, certificateName, "no user is configured for the client certificate",
                    later);
        }
        if (user.isEmpty() && password.isEmpty()) {
            if (s.anonymous()) {
                return accept(new Grant("", "", s.anonymousRights()));
            }
            return refuse(s, start, address, "", "this broker needs credentials (a user and password, or a token)",
                    later);
        }
        if (s.open()) {
            // No users at all: credentials cannot be checked, and a client sending some is let in as anonymous.
            return accept(new Grant("", "", s.anonymousRights()));
        }
        Failures f = failures.get(address);
        if (f != null && f.blocked(s, start)) {
            return refuse(s, start, address, user, "too many failed logins from this address; try again later",
                    later);
        }
        AuthSettings.User found;
        if (user.isEmpty()) {
            found = s.tokens().get(Base64.getEncoder().encodeToString(Credential.sha256(password)));
            if (found != null) {
                return accept(grantFor(found));
            }
            return refuse(s, start, address, "(token)", "the token was refused", later);
        }
        found = s.users().get(user);
        if (found == null) {
            return refuse(s, start, address, user, "the user or the password was refused", later);
        }
        AuthSettings.User u = found;
        if (u.credential() == null) {
            return refuse(s, start, address, user, "the user or the password was refused", later);
        }
        if (u.credential().fast()) {
            return u.credential().verify(password) ? accept(grantFor(u))
                    : refuse(s, start, address, user, "the user or the password was refused", later);
        }
        String key = cacheKey(u, password);
        if (verified.containsKey(key)) {
            return accept(grantFor(u));
        }
        try {
            hashing.execute(() -> {
                Outcome o;
                if (settings != s) {
                    // Reloaded while queued: decide against what is configured now.
                    o = authenticate(user, password, address, later);
                    if (o != null) {
                        later.accept(o);
                    }
                    return;
                }
                if (u.credential().verify(password)) {
                    if (verified.size() < s.verifiedCacheSize()) {
                        verified.put(key, Boolean.TRUE);
                    }
                    later.accept(accept(grantFor(u)));
                } else {
                    Outcome r = refuse(s, start, address, user, "the user or the password was refused", later);
                    if (r != null) {
                        later.accept(r);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            return refuse(s, start, address, user, "the broker is busy checking other logins; try again later",
                    later);
        }
        return null;
    }

    /** The connection that held {@code grant} is gone: reloads no longer concern it. */
    public void release(Grant grant) {
        if (grant != null) {
            grants.remove(grant);
        }
    }

    /**
     * Puts {@code next} in force: new logins are decided by it, and every connection is told what its user may do
     * now (a user that is gone, or whose credential changed, is revoked). Returns a summary for the log.
     */
    public synchronized String reload(AuthSettings next) {
        settings = next;
        verified.clear();
        warmUp(next);
        int changed = 0;
        int revoked = 0;
        for (Grant g : grants) {
            Permissions before = g.permissions();
            if (g.anonymous()) {
                if (!next.anonymous()) {
                    g.revoke();
                    revoked++;
                } else {
                    g.change(next.anonymousRights());
                }
            } else {
                AuthSettings.User u = next.users().get(g.user());
                if (u == null || !u.credentialId().equals(g.credential())) {
                    g.revoke();
                    revoked++;
                } else {
                    g.change(u.permissions());
                }
            }
            if (!g.revoked() && !before.equals(g.permissions())) {
                changed++;
            }
        }
        return next.users().size() + " users, anonymous access " + (next.anonymous() ? "on" : "off") + "; "
                + changed + " connections' permissions changed, " + revoked + " revoked";
    }

    private static Grant grantFor(AuthSettings.User u) {
        return new Grant(u.name(), u.credentialId(), u.permissions());
    }

    private Outcome accept(Grant grant) {
        grants.add(grant);
        return new Accepted(grant);
    }

    /** Counts and logs the failure, and answers {@code failure-delay} after {@code start}. */
    private Outcome refuse(AuthSettings s, long start, InetAddress address, String user, String reason,
                           Consumer<Outcome> later) {
        refused.increment();
        failures.computeIfAbsent(address, a -> new Failures()).add(s, start);
        if (failures.size() > MAX_ADDRESSES) {
            failures.entrySet().removeIf(e -> e.getValue().expired(s, start));
            if (failures.size() > MAX_ADDRESSES) {
                // Failing from more addresses than that at once (a spread of IPv6 addresses, say): the per-address
                // limit cannot hold them back anyway, and the memory stays bounded.
                failures.clear();
            }
        }
        log.info("login refused for user '{}' from {}: {}", user, address.getHostAddress(), reason);
        Refused r = new Refused(reason);
        long wait = s.failureDelay().toNanos() - (System.nanoTime() - start);
        if (wait <= 0) {
            return r;
        }
        delays.schedule(() -> later.accept(r), wait, TimeUnit.NANOSECONDS);
        return null;
    }

    private static String cacheKey(AuthSettings.User u, String password) {
        return Base64.getEncoder().encodeToString(Credential.sha256(u.name() + '\0' + password + '\0'
                + u.credential()));
    }

    @Override
    public void close() {
        hashing.shutdownNow();
        delays.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The recent failed logins of one address. */
    private static final class Failures {
        private final ArrayDeque<Long> times = new ArrayDeque<>();

        synchronized void add(AuthSettings s, long now) {
            prune(s, now);
            times.addLast(now);
            while (times.size() > s.maxFailuresPerAddress() + 1) {
                times.removeFirst();
            }
        }

        synchronized boolean blocked(AuthSettings s, long now) {
            prune(s, now);
            return times.size() >= s.maxFailuresPerAddress();
        }

        synchronized boolean expired(AuthSettings s, long now) {
            prune(s, now);
            return times.isEmpty();
        }

        private void prune(AuthSettings s, long now) {
            long window = s.failureWindow().toNanos();
            for (Iterator<Long> it = times.iterator(); it.hasNext(); ) {
                if (now - it.next() > window) {
                    it.remove();
                } else {
                    break;
                }
            }
        }
    }
}
