package dev.herd.sampling;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/**
 * A prompt to sample from, as read from a prompts file or the store.
 *
 * @param id       the row's {@code id} (or its line number / store id as text)
 * @param text     a plain-text prompt (encoded as {@code herd generate --prompt} does), or null
 * @param messages a conversation (rendered with the chat template and generation prompt), or null
 * @param answer   the reference answer verifiers compare with, or null
 * @param tests    test code for {@code verify:code}, or null
 * @param storeId  the prompt's id in the store, or null for file prompts
 * @param verifier how {@code verify:auto} checks this prompt's answer (exact, numeric, regex), or null for exact
 */
public record SamplingPrompt(String id, String text, List<ChatMessage> messages, String answer, String tests, Long storeId,
                             String verifier) {

    /** A prompt without a verifier of its own. */
    public SamplingPrompt(String id, String text, List<ChatMessage> messages, String answer, String tests, Long storeId) {
        this(id, text, messages, answer, tests, storeId, null);
    }

    /** The prompt as a conversation, for storing SFT examples and preference pairs. */
    public List<ChatMessage> asMessages() {
        return messages != null ? messages : List.of(ChatMessage.user(text));
    }
}
