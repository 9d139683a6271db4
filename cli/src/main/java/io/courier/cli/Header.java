package io.courier.cli;

import picocli.CommandLine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code --header KEY=VALUE}: split at the first {@code =}, so the value may contain {@code =} and may be empty.
 * (picocli's own map options split at every {@code =}, refuse an empty value and word their error
 * "Value for option option ...".)
 */
record Header(String key, String value) {

    static final class Converter implements CommandLine.ITypeConverter<Header> {
        @Override
        public Header convert(String arg) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.TypeConversionException("'" + arg + "' is not KEY=VALUE");
            }
            return new Header(arg.substring(0, eq), arg.substring(eq + 1));
        }
    }

    /** The headers in the order given; a key given twice keeps its last value. */
    static Map<String, String> toMap(List<Header> headers) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Header h : headers) {
            map.put(h.key, h.value);
        }
        return map;
    }
}
