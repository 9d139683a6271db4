package io.courier.cli;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Text for one line of {@code sub}'s output, whatever the bytes: valid UTF-8 is shown as text; a backslash as
 * {@code \\}; newline, carriage return and tab as {@code \n}, {@code \r}, {@code \t}; other control characters and
 * every byte that is not part of valid UTF-8 as {@code \xHH}; C1 controls (U+0080 to U+009F) as a \\u escape. So
 * the output has one line per message, cannot move a terminal's cursor, and tells the three characters {@code a\n}
 * from an {@code a} and a newline.
 */
final class Escapes {

    private Escapes() {
    }

    /** The bytes decoded as UTF-8, or {@code null} when they are not valid UTF-8. */
    static String utf8OrNull(byte[] bytes) {
        try {
            return decoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String bytes(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length + 8);
        CharsetDecoder decoder = decoder();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(Math.max(16, Math.min(bytes.length, 8192)));
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            out.flip();
            text(sb, out);
            out.clear();
            if (result.isUnderflow()) {
                return sb.toString();
            }
            if (result.isError()) {
                for (int i = result.length(); i > 0; i--) {
                    hex(sb, in.get() & 0xFF);
                }
            }
        }
    }

    static String text(CharSequence s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        text(sb, s);
        return sb.toString();
    }

    private static void text(StringBuilder sb, CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F) {
                        hex(sb, c);
                    } else if (c >= 0x80 && c <= 0x9F) {
                        sb.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    private static void hex(StringBuilder sb, int b) {
        sb.append(String.format(Locale.ROOT, "\\x%02X", b));
    }

    private static CharsetDecoder decoder() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }
}
