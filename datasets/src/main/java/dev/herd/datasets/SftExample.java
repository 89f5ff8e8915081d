package dev.herd.datasets;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/**
 * A supervised fine-tuning conversation.
 *
 * @param origin   human, rejection_sampling, distillation, ...
 * @param score    quality score (e.g. the reward of the kept sample), or null
 * @param sampleId the sample it was made from, for rejection-sampled data
 */
public record SftExample(long id, List<ChatMessage> messages, String origin, Integer round, String source,
                         String topic, String difficulty, String split, Double score, Long sampleId) {

    public static SftExample of(List<ChatMessage> messages, String origin) {
        return new SftExample(0, messages, origin, null, null, null, null, null, null, null);
    }

    /** The last assistant turn's content (the "response" that dedup and rules look at). */
    public String response() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("assistant".equals(messages.get(i).role()) && messages.get(i).content() != null) {
                return messages.get(i).content();
            }
        }
        return "";
    }
}
