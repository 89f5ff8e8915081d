package dev.herd.datasets;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/**
 * A prompt: plain text or a conversation ending in a user turn.
 *
 * @param id       0 when not yet stored
 * @param prompt   the text, or null when given as messages
 * @param messages the conversation, or null when given as text
 * @param answer   the reference answer verifiers compare with (a GSM8K row's whole worked solution, as given),
 *                 or null
 * @param verifier how to check a response against {@code answer} (exact, numeric, regex), or null
 */
public record PromptRow(long id, String prompt, List<ChatMessage> messages, String source, String topic,
                        String difficulty, String split, String answer, String verifier, String solution) {

    /** A prompt with a reference answer and no worked solution. */
    public PromptRow(long id, String prompt, List<ChatMessage> messages, String source, String topic,
                     String difficulty, String split, String answer, String verifier) {
        this(id, prompt, messages, source, topic, difficulty, split, answer, verifier, null);
    }

    /** A prompt without a reference answer. */
    public PromptRow(long id, String prompt, List<ChatMessage> messages, String source, String topic,
                     String difficulty, String split) {
        this(id, prompt, messages, source, topic, difficulty, split, null, null, null);
    }

    public static PromptRow text(String prompt, String source) {
        return new PromptRow(0, prompt, null, source, null, null, null);
    }

    /** The prompt as a conversation (a text prompt becomes one user turn). */
    public List<ChatMessage> asMessages() {
        return messages != null ? messages : List.of(ChatMessage.user(prompt));
    }
}
