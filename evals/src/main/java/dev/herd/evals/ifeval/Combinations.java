package dev.herd.evals.ifeval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code combination:*}: repeating the request first, and two different responses. */
final class Combinations {

    private Combinations() {}

    /** {@code combination:repeat_prompt}: starts with the request to repeat, in any case, spaces around ignored. */
    record RepeatPrompt(String prompt) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return response.strip().toLowerCase(Locale.ROOT).startsWith(prompt.strip().toLowerCase(Locale.ROOT));
        }
    }

    /**
     * {@code combination:two_responses}: exactly two non-blank, different responses separated by "******"; a blank
     * piece is allowed only before the first or after the last separator.
     */
    record TwoResponses() implements Instruction {
        @Override
        public boolean followedBy(String response) {
            List<String> pieces = Text.split(response, "******");
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < pieces.size(); i++) {
                if (pieces.get(i).isBlank()) {
                    if (i != 0 && i != pieces.size() - 1) {
                        return false;
                    }
                } else {
                    answers.add(pieces.get(i));
                }
            }
            return answers.size() == 2 && !answers.get(0).strip().equals(answers.get(1).strip());
        }
    }
}
