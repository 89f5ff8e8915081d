package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/**
 * A {@code POST /v1/chat/completions} body, as far as Herd uses it. A null field was not given: the server fills
 * in its defaults, and a client leaves it out of the JSON.
 *
 * @param maxTokens {@code max_tokens}, or {@code max_completion_tokens} (OpenAI's newer name) where a request
 *                  gives that
 * @param stop      up to 4 strings; a request's single string arrives as a list of one
 * @param stream    answer as server-sent events; {@link OpenAiRequests} gives false where absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatCompletionRequest(
        @JsonProperty("model") String model,
        @JsonProperty("messages") List<ChatMessage> messages,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("n") Integer n,
        @JsonProperty("seed") Long seed,
        @JsonProperty("stop") List<String> stop,
        @JsonProperty("stream") Boolean stream) {

    /** The most stop strings OpenAI accepts (herd serve refuses more, as OpenAI does). */
    public static final int MAX_STOP = 4;

    /**
     * One seeded sample of a conversation, what the evals and remote teachers ask for. Stop strings past the
     * fourth are not sent (callers cut the text at all of them themselves).
     */
    public static ChatCompletionRequest sample(String model, List<ChatMessage> messages, int maxTokens, double temperature,
                                               long seed, List<String> stop) {
        return new ChatCompletionRequest(model, List.copyOf(messages), temperature, null, maxTokens, null, seed,
                firstStops(stop), null);
    }

    /** Up to {@link #MAX_STOP} of {@code stop}, or null (not sent) where there are none. */
    static List<String> firstStops(List<String> stop) {
        return stop == null || stop.isEmpty() ? null : List.copyOf(stop.subList(0, Math.min(MAX_STOP, stop.size())));
    }
}
