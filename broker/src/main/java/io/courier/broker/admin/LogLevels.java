package io.courier.broker.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * {@code /api/loglevel}: a logger's level, read ({@code GET ?logger=io.courier}) or set at run time
 * ({@code POST ?logger=io.courier&level=DEBUG}; {@code level=INHERIT} gives the logger its parent's level again).
 * Logback is the broker's logging backend when it runs as the {@code courier} command; an application embedding the
 * broker with another SLF4J backend is answered 501 and keeps its own means.
 */
final class LogLevels {

    private static final Logger log = LoggerFactory.getLogger(LogLevels.class);

    private LogLevels() {
    }

    static AdminServer.Response handle(AdminServer.Query q) {
        String name = q.param("logger");
        if (name == null || name.isBlank()) {
            name = Logger.ROOT_LOGGER_NAME;
        }
        if (!LoggerFactory.getILoggerFactory().getClass().getName().equals("ch.qos.logback.classic.LoggerContext")) {
            return AdminServer.Response.text(501, "log levels can be changed here only when the broker logs through "
                    + "logback; this one logs through " + LoggerFactory.getILoggerFactory().getClass().getName()
                    + "\n");
        }
        return Logback.handle(name, q.param("#method").equals("POST"), q.param("level"));
    }

    /** Kept apart so that logback's classes are loaded only when logback is there. */
    private static final class Logback {
        static AdminServer.Response handle(String name, boolean set, String level) {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            ch.qos.logback.classic.Logger logger = context.getLogger(name);
            if (set) {
                if (level == null || level.isBlank()) {
                    throw new AdminServer.BadRequest("level is missing: one of TRACE, DEBUG, INFO, WARN, ERROR, OFF "
                            + "or INHERIT");
                }
                String upper = level.toUpperCase(Locale.ROOT);
                Level to;
                if (upper.equals("INHERIT") && !name.equals(Logger.ROOT_LOGGER_NAME)) {
                    to = null;
                } else {
                    to = Level.toLevel(upper, null);
                    if (to == null) {
                        throw new AdminServer.BadRequest("level '" + level + "' is not one of TRACE, DEBUG, INFO, "
                                + "WARN, ERROR, OFF or INHERIT");
                    }
                }
                Level before = logger.getLevel();
                logger.setLevel(to);
                log.info("log level of {} set from {} to {} through the admin port", name,
                        before == null ? "inherited" : before, to == null ? "inherited" : to);
            }
            return AdminServer.Response.json(new LevelView(name,
                    logger.getLevel() == null ? null : logger.getLevel().toString(),
                    logger.getEffectiveLevel().toString()));
        }
    }

    /** A logger's own level (null: inherited) and the level it logs at. */
    record LevelView(String logger, String level, String effectiveLevel) { }
}
