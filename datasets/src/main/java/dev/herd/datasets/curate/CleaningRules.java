package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rule-based cleaning of SFT responses (Llama 3 §4.2.3): each rule flags rows, the first rule that flags a
 * row is recorded as {@code removed_by = "rule:<name>"}, and each rule reports how many rows it hit (a row
 * may hit several).
 *
 * @param maxApologies     more apology phrases than this ("I'm sorry", "I apologize", ...) is overuse
 * @param maxEmojis        more emoji than this is excessive
 * @param maxExclamations  more '!' than this is excessive
 * @param maxNgramRepeats  a word 4-gram occurring more often than this is degenerate repetition
 * @param minChars         shorter responses are dropped (1 drops only empty ones)
 * @param maxChars         longer responses are dropped
 */
record CleaningRules(int maxApologies, int maxEmojis, int maxExclamations, int maxNgramRepeats, int minChars,
                            int maxChars) implements CurationStep {

    static final List<String> APOLOGIES = List.of("i'm sorry", "i am sorry", "i apologize", "i apologise",
            "my apologies", "sorry for", "i’m sorry");

    public static CleaningRules defaults() {
        return new CleaningRules(1, 3, 3, 3, 1, 100_000);
    }

    @Override
    public String name() {
        return "rules";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) throws Exception {
        Map<String, Long> hits = new LinkedHashMap<>();
        for (String r : List.of("empty", "truncated", "too-short", "too-long", "apologies", "emojis", "exclamations", "repetition")) {
            hits.put(r, 0L);
        }
        Map<Long, String> removed = new LinkedHashMap<>();
        for (ActiveRows.SftRow row : ActiveRows.sft(store, where)) {
            List<String> flagged = check(row.response());
            for (String f : flagged) {
                hits.merge(f, 1L, Long::sum);
            }
            if (!flagged.isEmpty()) {
                removed.put(row.id(), "rule:" + flagged.get(0));
            }
        }
        ActiveRows.remove(store, "sft", removed);
        hits.put("removed", (long) removed.size());
        return hits;
    }

    /** The rules {@code response} breaks, in a fixed order. */
    public List<String> check(String response) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        String text = response == null ? "" : response;
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            out.add("empty");
            return out;
        }
        if (isTruncated(trimmed)) {
            out.add("truncated");
        }
        if (trimmed.length() < minChars) {
            out.add("too-short");
        }
        if (trimmed.length() > maxChars) {
            out.add("too-long");
        }
        if (count(text.toLowerCase(Locale.ROOT), APOLOGIES) > maxApologies) {
            out.add("apologies");
        }
        if (emojis(text) > maxEmojis) {
            out.add("emojis");
        }
        if (text.chars().filter(c -> c == '!').count() > maxExclamations) {
            out.add("exclamations");
        }
        if (maxRepeat(trimmed) > maxNgramRepeats || tailRepeats(trimmed)) {
            out.add("repetition");
        }
        return out;
    }

    /** Cut off mid-way: an unclosed code block, or ending on a comma, colon, opening bracket or hyphen. */
    static boolean isTruncated(String s) {
        int fences = 0;
        for (int i = s.indexOf("```"); i >= 0; i = s.indexOf("```", i + 3)) {
            fences++;
        }
        char last = s.charAt(s.length() - 1);
        return fences % 2 == 1 || ",;:([{-".indexOf(last) >= 0;
    }

    private static int count(String text, List<String> phrases) {
        int n = 0;
        for (String p : phrases) {
            for (int i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + p.length())) {
                n++;
            }
        }
        return n;
    }

    static int emojis(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if ((cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x1F000 && cp <= 0x1F2FF)) {
                n++;
            }
            i += Character.charCount(cp);
        }
        return n;
    }

    /** The most times any word 4-gram occurs. */
    static int maxRepeat(String s) {
        String[] w = TextNormalizer.normalize(s).split(" ");
        Map<String, Integer> counts = new HashMap<>();
        int max = 0;
        for (int i = 0; i + 4 <= w.length; i++) {
            String g = w[i] + ' ' + w[i + 1] + ' ' + w[i + 2] + ' ' + w[i + 3];
            max = Math.max(max, counts.merge(g, 1, Integer::sum));
        }
        return max;
    }

    /** The text ends in the same line or sentence three times in a row (a generation loop). */
    static boolean tailRepeats(String s) {
        String[] parts = s.split("(?<=[.!?\\n])\\s*");
        int n = parts.length;
        return n >= 3 && !parts[n - 1].isBlank() && parts[n - 1].strip().length() > 3
                && parts[n - 1].strip().equals(parts[n - 2].strip()) && parts[n - 2].strip().equals(parts[n - 3].strip());
    }
}
