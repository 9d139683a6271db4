package io.courier.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a byte stream at {@code \n} and nothing else: every other byte, {@code \r} and invalid UTF-8 included, stays
 * in the line as it was. A last line without {@code \n} is a line too; an empty input has none.
 */
final class Lines {

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Lines(InputStream in) {
        this.in = new BufferedInputStream(in, 64 * 1024);
    }

    /** The next line without its {@code \n}, or {@code null} at the end of the stream. */
    byte[] next() throws IOException {
        line.reset();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                return line.toByteArray();
            }
            line.write(b);
        }
        return line.size() > 0 ? line.toByteArray() : null;
    }
}
