package dev.herd.evals.ifeval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the reference counts words, sentences and capitalised words, and Python's notion of upper and lower case.
 * Patterns here and in the checkers use {@link Pattern#UNIX_LINES}: like Python's {@code re}, only '\n' ends a line
 * for {@code .}, {@code ^} and {@code $}.
 */
final class Text {

    /** Python's {@code \w+} on text: letters, digits and underscore of any script (NLTK's RegexpTokenizer(r"\w+")). */
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    /**
     * A word as NLTK's word_tokenize keeps it for the capital-word count: letters and digits, joined by inner hyphens,
     * apostrophes or periods ("WELL-KNOWN", "U.S"), surrounding punctuation split off.
     */
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{M}\\p{N}]+(?:[-'’.][\\p{L}\\p{M}\\p{N}]+)*");

    private static final String ALPHABETS = "([A-Za-z])";
    private static final Pattern PREFIXES = Pattern.compile("(Mr|St|Mrs|Ms|Dr)[.]");
    private static final String SUFFIXES = "(Inc|Ltd|Jr|Sr|Co)";
    private static final String STARTERS =
            "(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\\s|She\\s|It\\s|They\\s|Their\\s|Our\\s|We\\s|But\\s|However\\s|That\\s|This\\s|Wherever)";
    private static final String ACRONYMS = "([A-Z][.][A-Z][.](?:[A-Z][.])?)";
    private static final Pattern WEBSITES = Pattern.compile("[.](com|net|org|io|gov|edu|me)");
    private static final Pattern DIGITS = Pattern.compile("([0-9])[.]([0-9])");
    private static final Pattern MULTIPLE_DOTS = Pattern.compile("\\.{2,}");
    private static final Pattern SINGLE_LETTER = Pattern.compile("\\s" + ALPHABETS + "[.] ");
    private static final Pattern ACRONYM_STARTER = Pattern.compile(ACRONYMS + " " + STARTERS);
    private static final Pattern THREE_LETTERS = Pattern.compile(ALPHABETS + "[.]" + ALPHABETS + "[.]" + ALPHABETS + "[.]");
    private static final Pattern TWO_LETTERS = Pattern.compile(ALPHABETS + "[.]" + ALPHABETS + "[.]");
    private static final Pattern SUFFIX_STARTER = Pattern.compile(" " + SUFFIXES + "[.] " + STARTERS);
    private static final Pattern SUFFIX = Pattern.compile(" " + SUFFIXES + "[.]");
    private static final Pattern LETTER = Pattern.compile(" " + ALPHABETS + "[.]");

    private Text() {}

    static int words(String text) {
        return count(WORD, text);
    }

    static int count(Pattern p, String text) {
        Matcher m = p.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    static int sentences(String text) {
        return splitSentences(text).size();
    }

    /**
     * The reference's rule-based sentence splitter (instructions_util.split_into_sentences): abbreviations, initials,
     * decimals, web addresses and ellipses do not end a sentence; '.', '?' and '!' do. The reference counts sentences
     * with NLTK's trained Punkt model instead, which agrees on ordinary prose and may differ on unusual abbreviations.
     */
    static List<String> splitSentences(String text) {
        String t = " " + text + "  ";
        t = t.replace("\n", " ");
        t = PREFIXES.matcher(t).replaceAll("$1<prd>");
        t = WEBSITES.matcher(t).replaceAll("<prd>$1");
        t = DIGITS.matcher(t).replaceAll("$1<prd>$2");
        t = MULTIPLE_DOTS.matcher(t).replaceAll(m -> "<prd>".repeat(m.group().length()) + "<stop>");
        if (t.contains("Ph.D")) {
            t = t.replace("Ph.D.", "Ph<prd>D<prd>");
        }
        t = SINGLE_LETTER.matcher(t).replaceAll(" $1<prd> ");
        t = ACRONYM_STARTER.matcher(t).replaceAll("$1<stop> $2");
        t = THREE_LETTERS.matcher(t).replaceAll("$1<prd>$2<prd>$3<prd>");
        t = TWO_LETTERS.matcher(t).replaceAll("$1<prd>$2<prd>");
        t = SUFFIX_STARTER.matcher(t).replaceAll(" $1<stop> $2");
        t = SUFFIX.matcher(t).replaceAll(" $1<prd>");
        t = LETTER.matcher(t).replaceAll(" $1<prd>");
        t = t.replace(".”", "”.").replace(".\"", "\".").replace("!\"", "\"!").replace("?\"", "\"?");
        t = t.replace(".", ".<stop>").replace("?", "?<stop>").replace("!", "!<stop>").replace("<prd>", ".");
        List<String> out = new ArrayList<>(Arrays.stream(t.split("<stop>", -1)).map(String::strip).toList());
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    /** Words written in capitals only ("NASA", "WELL-KNOWN"), as the capital-word frequency counts them. */
    static int capitalWords(String text) {
        Matcher m = TOKEN.matcher(text);
        int n = 0;
        while (m.find()) {
            if (isUpper(m.group())) {
                n++;
            }
        }
        return n;
    }

    /** Python's str.isupper: at least one cased character, and none of them lower or title case. */
    static boolean isUpper(String s) {
        return onlyCase(s, Character::isUpperCase, Character::isLowerCase);
    }

    /** Python's str.islower: at least one cased character, and none of them upper or title case. */
    static boolean isLower(String s) {
        return onlyCase(s, Character::isLowerCase, Character::isUpperCase);
    }

    /** At least one code point in case {@code wanted}, none in case {@code other} or in title case. */
    private static boolean onlyCase(String s, java.util.function.IntPredicate wanted, java.util.function.IntPredicate other) {
        boolean cased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (other.test(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= wanted.test(c);
        }
        return cased;
    }

    /** Python's str.split(sep): every piece, empty ones at either end included. */
    static List<String> split(String s, String sep) {
        return Arrays.asList(s.split(Pattern.quote(sep), -1));
    }
}
