package dev.herd.evals.ifeval;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code length_constraints:*}: counts of words, sentences and paragraphs. */
final class Lengths {

    private static final Pattern DIVIDER = Pattern.compile("\\s?\\*\\*\\*\\s?");
    private static final Set<Integer> FIRST_WORD_END = Set.of((int) '.', (int) ',', (int) '?', (int) '!', (int) '\'', (int) '"');

    private Lengths() {}

    /** {@code length_constraints:number_words}: words are runs of letters, digits and underscores. */
    record Words(Relation relation, int words) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return relation.holds(Text.words(response), words);
        }
    }

    /** {@code length_constraints:number_sentences}. */
    record Sentences(Relation relation, int sentences) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return relation.holds(Text.sentences(response), sentences);
        }
    }

    /**
     * {@code length_constraints:number_paragraphs}: exactly n paragraphs separated by the Markdown divider {@code ***};
     * an empty piece is allowed only before the first or after the last divider.
     */
    record Paragraphs(int paragraphs) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String[] pieces = DIVIDER.split(response, -1);
            int n = pieces.length;
            for (int i = 0; i < pieces.length; i++) {
                if (pieces[i].isBlank()) {
                    if (i == 0 || i == pieces.length - 1) {
                        n--;
                    } else {
                        return false;
                    }
                }
            }
            return n == paragraphs;
        }
    }

    /**
     * {@code length_constraints:nth_paragraph_first_word}: exactly n non-empty paragraphs separated by a blank line
     * ("\n\n"), and the nth (counted among all pieces, empty ones included, as the reference does) starts with the
     * word, compared in lower case up to its first punctuation mark.
     */
    record NthParagraphFirstWord(int paragraphs, int nth, String firstWord) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            List<String> pieces = Text.split(response, "\n\n");
            int n = (int) pieces.stream().filter(p -> !p.isBlank()).count();
            if (nth > n || nth < 1) {
                return false;
            }
            String paragraph = pieces.get(nth - 1).strip();
            if (paragraph.isEmpty()) {
                return false;
            }
            String word = paragraph.split("\\s+")[0].replaceFirst("^'+", "").replaceFirst("^\"+", "");
            StringBuilder first = new StringBuilder();
            for (int c : word.codePoints().toArray()) {
                if (FIRST_WORD_END.contains(c)) {
                    break;
                }
                first.appendCodePoint(c);
            }
            return n == paragraphs && first.toString().toLowerCase(Locale.ROOT).equals(firstWord.toLowerCase(Locale.ROOT));
        }
    }
}
