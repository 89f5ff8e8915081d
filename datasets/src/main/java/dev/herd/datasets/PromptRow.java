package dev.herd.datasets;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/**
 * A prompt: plain text or a conversation ending in a user turn.
 *
 * @param id       0 when not yet stored
 * @param prompt   the text, or null when given as messages
 * @param messages the conversation, or null when given as text
 */
public record PromptRow(long id, String prompt, List<ChatMessage> messages, String source, String topic,
                        String difficulty, String split) {

    public static PromptRow text(String prompt, String source) {
        return new PromptRow(0, prompt, null, source, null, null, null);
    }

    /** The prompt as a conversation (a text prompt becomes one user turn). */
    public List<ChatMessage> asMessages() {
        return messages != null ? messages : List.of(ChatMessage.user(prompt));
    }
}
