package dev.herd.evals.ifeval;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** {@code keywords:*}: words that must appear, appear a number of times, or not appear; a letter's frequency. */
final class Keywords {

    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNIX_LINES;

    private Keywords() {}

    /** {@code keywords:existence}: every keyword occurs, in any case, anywhere (also inside longer words). */
    record Existence(List<String> keywords) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return keywords.stream().allMatch(k -> Pattern.compile(Pattern.quote(k), FLAGS).matcher(response).find());
        }
    }

    /** {@code keywords:frequency}: the keyword's case-insensitive occurrences (inside words too) compared with n. */
    record Frequency(String keyword, Relation relation, int frequency) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return relation.holds(Text.count(Pattern.compile(Pattern.quote(keyword.strip()), FLAGS), response), frequency);
        }
    }

    /** {@code keywords:forbidden_words}: none of the words occurs as a whole word, in any case. */
    record Forbidden(List<String> words) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return words.stream().noneMatch(w -> Pattern.compile("\\b" + Pattern.quote(w) + "\\b",
                    FLAGS | Pattern.UNICODE_CHARACTER_CLASS).matcher(response).find());
        }
    }

    /**
     * {@code keywords:letter_frequency}: how often the letter occurs in the lower-cased response, compared with n.
     * Two prompts name '#' and '!': the reference then draws a random letter instead; here the character given is
     * counted, so the check is what the prompt asks and the same on every run.
     */
    record LetterFrequency(String letter, Relation relation, int frequency) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String lower = response.toLowerCase(Locale.ROOT);
            int c = letter.toLowerCase(Locale.ROOT).codePointAt(0);
            return relation.holds((int) lower.codePoints().filter(x -> x == c).count(), frequency);
        }
    }
}
