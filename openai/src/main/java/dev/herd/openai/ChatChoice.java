package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.llama.chat.ChatMessage;

/**
 * One choice of a {@link ChatCompletion}.
 *
 * @param message      the assistant's turn
 * @param logprobs     herd serve gives no chat log-probs and writes null, as OpenAI does when none were asked for;
 *                     another server's are kept as they came, untyped, since Herd reads none
 * @param finishReason {@code stop} or {@code length}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatChoice(
        @JsonProperty("index") int index,
        @JsonProperty("message") ChatMessage message,
        @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode logprobs,
        @JsonProperty("finish_reason") @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {

    public ChatChoice {
        // Jackson reads a JSON null into a JsonNode as NullNode; none is none, whichever way it came.
        if (logprobs != null && logprobs.isNull()) {
            logprobs = null;
        }
    }
}
