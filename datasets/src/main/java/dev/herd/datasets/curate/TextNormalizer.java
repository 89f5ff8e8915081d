package dev.herd.datasets.curate;

import java.text.Normalizer;
import java.util.Locale;

/** Text as dedup compares it: NFKC, lower case, punctuation dropped, whitespace collapsed. */
final class TextNormalizer {

    private TextNormalizer() {}

    public static String normalize(String s) {
        if (s == null) {
            return "";
        }
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder sb = new StringBuilder(n.length());
        boolean space = false;
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                if (space && sb.length() > 0) {
                    sb.append(' ');
                }
                space = false;
                sb.append(c);
            } else if (Character.isWhitespace(c) || isPunctuation(c)) {
                space = true;
            } else {
                sb.append(c); // emoji and symbols count as content
            }
        }
        return sb.toString();
    }

    private static boolean isPunctuation(char c) {
        int t = Character.getType(c);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }

    /** A 64-bit hash of the normalised text (exact duplicates share it). */
    public static long hash(String s) {
        return Hashing.hash64(normalize(s));
    }
}
