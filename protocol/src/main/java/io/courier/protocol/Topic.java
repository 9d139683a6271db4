package io.courier.protocol;

/**
 * Topic and pattern rules. A topic is one or more dot-separated tokens ({@code orders.eu.created}); a token is
 * non-empty and holds no whitespace, control characters, {@code *} or {@code >}. A pattern may also use {@code *}
 * as a whole token (exactly one token) and {@code >} as the last token (one or more trailing tokens). A topic whose
 * first token starts with {@code $} is the broker's own and is matched by no leading wildcard.
 */
public final class Topic {

    /** Longest topic or pattern accepted, in characters. */
    public static final int MAX_LENGTH = 1024;

    private Topic() {
    }

    /** Why {@code topic} is not a valid publish topic, or {@code null} when it is. */
    public static String invalidTopicReason(String topic) {
        return check(topic, false);
    }

    /** Why {@code pattern} is not a valid subscription pattern, or {@code null} when it is. */
    public static String invalidPatternReason(String pattern) {
        return check(pattern, true);
    }

    public static boolean isValidTopic(String topic) {
        return invalidTopicReason(topic) == null;
    }

    public static boolean isValidPattern(String pattern) {
        return invalidPatternReason(pattern) == null;
    }

    /**
     * Whether the UTF-8 bytes {@code data[offset, offset + length)} are a valid publish topic made of printable
     * ASCII only, checked without decoding them: the usual topics ({@code _INBOX.x1y2}) pass. False means only "not
     * certainly": decode the bytes and ask {@link #invalidTopicReason}, which also words the error. For ASCII this is
     * exactly that method's rule.
     */
    public static boolean isPlainAsciiTopic(byte[] data, int offset, int length) {
        if (length > MAX_LENGTH) {
            return false;
        }
        int tokenLength = 0;
        for (int i = offset; i < offset + length; i++) {
            byte b = data[i];
            if (b == '.') {
                if (tokenLength == 0) {
                    return false;
                }
                tokenLength = 0;
            } else if (isPrintableAscii(b) && b != '*' && b != '>') {
                tokenLength++;
            } else {
                return false;
            }
        }
        return tokenLength > 0;
    }

    private static String check(String s, boolean pattern) {
        String what = pattern ? "pattern" : "topic";
        if (s == null || s.isEmpty()) {
            return what + " is empty";
        }
        if (s.length() > MAX_LENGTH) {
            return what + " is longer than " + MAX_LENGTH + " characters";
        }
        int tokenStart = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i < s.length() && s.charAt(i) != '.') {
                char c = s.charAt(i);
                if (isBlankOrControl(c)) {
                    return what + " '" + s + "' contains whitespace or a control character";
                }
                continue;
            }
            int len = i - tokenStart;
            if (len == 0) {
                return what + " '" + s + "' has an empty token (leading, trailing or double dot)";
            }
            for (int j = tokenStart; j < i; j++) {
                char c = s.charAt(j);
                if (c == '*' || c == '>') {
                    if (!pattern) {
                        return "topic '" + s + "' contains wildcard '" + c + "': wildcards are only for subscriptions";
                    }
                    if (len != 1) {
                        return "pattern '" + s + "': wildcard '" + c + "' must be a whole token";
                    }
                    if (c == '>' && i != s.length()) {
                        return "pattern '" + s + "': '>' may only be the last token";
                    }
                }
            }
            tokenStart = i + 1;
        }
        return null;
    }

    /** ASCII first: topics are checked on every publish, and the Unicode tables cost more than the rest. */
    private static boolean isBlankOrControl(char c) {
        if (c < 0x80) {
            return !isPrintableAscii(c);
        }
        return Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** An ASCII character a token may hold (wildcards aside): anything but space, control characters and DEL. */
    private static boolean isPrintableAscii(int c) {
        return c > ' ' && c < 0x7F;
    }

    /**
     * Whether a first token is reserved for the broker's own topics ({@code $SYS.connect}): such topics are matched
     * only by patterns that name that first token, never by a leading {@code *} or {@code >} (as in MQTT), so that a
     * subscription to everything does not receive the broker's events.
     */
    public static boolean isReserved(String firstToken) {
        return !firstToken.isEmpty() && firstToken.charAt(0) == '$';
    }

    private static boolean isWildcard(String token) {
        return token.equals("*") || token.equals(">");
    }

    /**
     * Whether {@code topic} matches {@code pattern}; both must be valid. The plain rule every index must agree with.
     */
    public static boolean matches(String pattern, String topic) {
        return covers(pattern, topic);
    }

    /**
     * Whether every topic that {@code specific} matches is matched by {@code general} too (both valid patterns; a
     * topic is a pattern without wildcards, so for a topic this is {@link #matches}). {@code orders.>} covers
     * {@code orders.*} and {@code orders.eu.created}; {@code orders.*} does not cover {@code orders.>}.
     */
    public static boolean covers(String general, String specific) {
        String[] g = general.split("\\.", -1);
        String[] s = specific.split("\\.", -1);
        if (isWildcard(g[0]) && isReserved(s[0])) {
            return false;
        }
        for (int i = 0; i < g.length; i++) {
            if (g[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (g[i].equals("*")) {
                if (s[i].equals(">")) {
                    return false;
                }
            } else if (!g[i].equals(s[i])) {
                // A literal token covers only itself (never a wildcard, which stands for other tokens too).
                return false;
            }
        }
        return g.length == s.length;
    }

    /** Whether some topic matches both patterns (both valid): {@code orders.*.created} overlaps {@code *.eu.>}. */
    public static boolean overlaps(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        if (isWildcard(x[0]) && isReserved(y[0]) || isWildcard(y[0]) && isReserved(x[0])) {
            return false;
        }
        int n = Math.min(x.length, y.length);
        for (int i = 0; i < n; i++) {
            if (x[i].equals(">") || y[i].equals(">")) {
                // '>' takes one or more tokens, and the other pattern has at least one here.
                return true;
            }
            if (!x[i].equals("*") && !y[i].equals("*") && !x[i].equals(y[i])) {
                return false;
            }
        }
        return x.length == y.length;
    }
}
