package dev.herd.evals.ifeval;

/** {@code change_case:*}: all capitals or all lower case in English, and the number of words in capitals. */
final class Cases {

    private Cases() {}

    /**
     * {@code change_case:english_capital}: no lower-case letter, at least one capital, and detected as English. The
     * text is given to the detector as written, as the reference does; n-gram detectors see little of words in
     * capitals (langdetect and this port alike), so some all-capital English is not detected as English.
     */
    record EnglishCapital(Languages languages) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return Text.isUpper(response) && languages.is(response, "en");
        }
    }

    /** {@code change_case:english_lowercase}: no capital letter, at least one lower-case one, and detected as English. */
    record EnglishLowercase(Languages languages) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return Text.isLower(response) && languages.is(response, "en");
        }
    }

    /** {@code change_case:capital_word_frequency}: the number of words in capitals compared with n. */
    record CapitalWordFrequency(Relation relation, int frequency) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return relation.holds(Text.capitalWords(response), frequency);
        }
    }
}
