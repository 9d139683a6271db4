package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "orders", "orders.eu.created", "a.b.c.d.e.f", "x-1_y:z", "caf\u00E9.\u4E2D\u6587",
        "\uD83D\uDE80.launch", "1.2.3", "$SYS.events", "a/b.c|d"})
    void acceptsValidTopicsAsTopicsAndAsPatterns(String topic) {
        assertThat(Topic.invalidTopicReason(topic)).isNull();
        assertThat(Topic.isValidTopic(topic)).isTrue();
        assertThat(Topic.isValidPattern(topic)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", ">", "orders.*", "orders.>", "*.eu.*", "*.>", "orders.*.created.>", "*.*.*"})
    void acceptsWildcardsOnlyInPatterns(String pattern) {
        assertThat(Topic.invalidPatternReason(pattern)).isNull();
        assertThat(Topic.invalidTopicReason(pattern)).contains("wildcard");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", ".a", "a.", "a..b", "a.b.", ".a.b", "a b", " a", "a ", "a\tb", "a\nb",
        "a\rb", "a\u0000b", "a\u001Fb", "a\u007Fb", "a\u0085b", "a\u009Fb", "a\u00A0b", "a\u2028b", "a\u3000b"})
    void rejectsEmptyTokensWhitespaceAndControlCharacters(String s) {
        assertThat(Topic.invalidTopicReason(s)).as("topic '%s'", s).isNotNull();
        assertThat(Topic.invalidPatternReason(s)).as("pattern '%s'", s).isNotNull();
        assertThat(Topic.isValidTopic(s)).isFalse();
        assertThat(Topic.isValidPattern(s)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a*", "*a", "a.b*", "a.**", "a>", ">a", "a.>>", "a.*>", ">.a", "a.>.b", ">.>", "a.>.*",
        "*.>.>"})
    void rejectsWildcardsThatAreNotWholeTokensOrMisplaced(String pattern) {
        assertThat(Topic.invalidPatternReason(pattern)).as(pattern).isNotNull();
        assertThat(Topic.invalidTopicReason(pattern)).as(pattern).isNotNull();
    }

    @Test
    void explainsWhyAPatternIsInvalid() {
        assertThat(Topic.invalidPatternReason("a.>.b")).contains("last token");
        assertThat(Topic.invalidPatternReason("a*")).contains("whole token");
        assertThat(Topic.invalidPatternReason("a..b")).contains("empty token");
        assertThat(Topic.invalidTopicReason("")).contains("empty");
        assertThat(Topic.invalidTopicReason(null)).isNotNull();
    }

    @Test
    void limitsLengthTo1024Characters() {
        String longest = "ab.".repeat(341) + "a"; // 1024 characters
        assertThat(longest).hasSize(Topic.MAX_LENGTH);
        assertThat(Topic.isValidTopic(longest)).isTrue();
        assertThat(Topic.isValidPattern(longest.substring(0, 1022) + ".>")).isTrue();
        assertThat(Topic.invalidTopicReason(longest + "b")).contains("longer than 1024");
        assertThat(Topic.isValidPattern(longest + ".*")).isFalse();
        assertThat(Topic.isValidTopic("a".repeat(Topic.MAX_LENGTH + 1))).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "a.b.c,     a.b.c,   true",
        "a.b.c,     a.b,     false",
        "a.b,       a.b.c,   false",
        "a.b.c,     a.b.d,   false",
        "*,         a,       true",
        "*,         a.b,     false",
        "a.*,       a.b,     true",
        "a.*,       a,       false",
        "a.*,       a.b.c,   false",
        "*.b.*,     a.b.c,   true",
        "*.b.*,     a.c.c,   false",
        ">,         a,       true",
        ">,         a.b.c,   true",
        "a.>,       a,       false",
        "a.>,       a.b,     true",
        "a.>,       a.b.c.d, true",
        "a.>,       b.c,     false",
        "a.*.>,     a.b,     false",
        "a.*.>,     a.b.c,   true",
        "*.>,       a,       false",
        "*.>,       a.b,     true",
        "orders.eu, orders,  false"
    })
    void matchesStarAsExactlyOneTokenAndGreaterAsOneOrMore(String pattern, String topic, boolean expected) {
        assertThat(Topic.matches(pattern, topic)).as("'%s' matches '%s'", pattern, topic).isEqualTo(expected);
    }

    @Test
    void matchesLikeAReferenceRegexOnRandomPatternsAndTopics() {
        long seed = RandomFrames.seed();
        Random random = new Random(seed);
        String[] tokens = {"a", "b", "c"};
        for (int i = 0; i < 20_000; i++) {
            String topic = randomTopic(random, tokens);
            String pattern = randomPattern(random, tokens);
            assertThat(Topic.isValidTopic(topic)).isTrue();
            assertThat(Topic.isValidPattern(pattern)).as(pattern).isTrue();
            assertThat(Topic.matches(pattern, topic))
                    .as("%s: '%s' matches '%s'", RandomFrames.reproduce(seed), pattern, topic)
                    .isEqualTo(referenceRegex(pattern).matcher(topic).matches());
        }
    }

    private static String randomTopic(Random random, String[] tokens) {
        int n = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ".").append(tokens[random.nextInt(tokens.length)]);
        }
        return sb.toString();
    }

    private static String randomPattern(Random random, String[] tokens) {
        int n = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ".");
            int pick = random.nextInt(5);
            if (pick == 0) {
                sb.append('*');
            } else if (pick == 1 && i == n - 1) {
                sb.append('>');
            } else {
                sb.append(tokens[random.nextInt(tokens.length)]);
            }
        }
        return sb.toString();
    }

    /** An independent model of matching: '*' is one token, a trailing '>' one or more tokens. */
    private static Pattern referenceRegex(String pattern) {
        StringBuilder regex = new StringBuilder();
        String[] parts = pattern.split("\\.", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                regex.append("\\.");
            }
            if (parts[i].equals("*")) {
                regex.append("[^.]+");
            } else if (parts[i].equals(">")) {
                regex.append("[^.]+(\\.[^.]+)*");
            } else {
                regex.append(Pattern.quote(parts[i]));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
