package dev.herd.dpo;

import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.train.HeldOut;
import java.util.List;

/**
 * One DPO comparison: {@code better} is preferred to {@code worse} as the assistant's answer to {@code prompt}.
 *
 * @param preferenceId the store id of the ranking it came from (0 for rows read from a file)
 * @param split        "train", "test", "validation" or null, from the ranking
 */
record PreferencePair(long preferenceId, List<ChatMessage> prompt, String better, String worse, PairKind kind,
                             String split) {

    /** Whether the ranking was set aside for evaluation. */
    public boolean heldOut() {
        return HeldOut.marked(split);
    }
}
