package dev.herd.evals.ifeval;

import java.util.Locale;
import java.util.regex.Pattern;

/** {@code detectable_content:*}: placeholders and a postscript. */
final class Contents {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\[.*?\\]", Pattern.UNIX_LINES);

    private Contents() {}

    /** {@code detectable_content:number_placeholders}: at least n {@code [placeholders]} (each on one line). */
    record Placeholders(int placeholders) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return Text.count(PLACEHOLDER, response) >= placeholders;
        }
    }

    /**
     * {@code detectable_content:postscript}: the marker appears, in any case (P.S. also as "p. s.", P.P.S also as
     * "p. p. s"). The reference does not anchor it to a line start, so a marker inside a line counts too.
     */
    record Postscript(String marker) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String m = marker.strip();
            String pattern = switch (m) {
                case "P.P.S" -> "\\s*p\\.\\s?p\\.\\s?s.*$";
                case "P.S." -> "\\s*p\\.\\s?s\\..*$";
                default -> "\\s*" + Pattern.quote(m.toLowerCase(Locale.ROOT)) + ".*$";
            };
            return Pattern.compile(pattern, Pattern.MULTILINE | Pattern.UNIX_LINES)
                    .matcher(response.toLowerCase(Locale.ROOT)).find();
        }
    }
}
