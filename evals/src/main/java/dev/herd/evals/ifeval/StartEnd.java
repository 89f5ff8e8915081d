package dev.herd.evals.ifeval;

import java.util.Locale;

/** {@code startend:*}: the closing phrase and wrapping quotation marks. */
final class StartEnd {

    private StartEnd() {}

    /** {@code startend:end_checker}: ends with the phrase, in any case, once spaces and outer '"' are removed. */
    record EndPhrase(String phrase) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String v = response.strip().replaceAll("^\"+|\"+$", "").toLowerCase(Locale.ROOT);
            return v.endsWith(phrase.strip().toLowerCase(Locale.ROOT));
        }
    }

    /** {@code startend:quotation}: the whole (stripped) response is wrapped in double quotation marks. */
    record Quotation() implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String v = response.strip();
            return v.length() > 1 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"';
        }
    }
}
