package dev.herd.datasets;

import dev.herd.llama.chat.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * A ranking of 2 or 3 responses to one prompt: edited &gt; chosen &gt; rejected.
 *
 * @param prompt   the conversation before the responses
 * @param edited   an annotator's improvement of chosen, or null
 * @param strength how much better chosen is than rejected, or null when not graded
 */
public record Preference(long id, List<ChatMessage> prompt, String chosen, String rejected, String edited,
                         Strength strength, String source, Integer round, String split) {

    /** The responses best first: [edited,] chosen, rejected. */
    public List<String> ranked() {
        List<String> out = new ArrayList<>();
        if (edited != null) {
            out.add(edited);
        }
        out.add(chosen);
        out.add(rejected);
        return out;
    }
}
