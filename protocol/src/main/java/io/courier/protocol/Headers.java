package io.courier.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Header maps are ordered (the wire order) and immutable once inside a frame. */
public final class Headers {

    /** Header a broker sets on the reply to a request that had no subscriber. */
    public static final String STATUS = "Courier-Status";
    /** Value of {@link #STATUS} when a request found no responders. */
    public static final String NO_RESPONDERS = "503";

    private Headers() {
    }

    static Map<String, String> copyOf(Map<String, String> headers) {
        if (headers == null || headers.isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    public static boolean isNoResponders(Map<String, String> headers) {
        return NO_RESPONDERS.equals(headers.get(STATUS));
    }
}
