package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.List;

/**
 * A {@code POST /v1/completions} (legacy text completion) body, as far as Herd uses it. A null field was not
 * given: the server fills in its defaults, and a client leaves it out of the JSON.
 *
 * @param prompt   one or more prompts (each gets {@code n} choices); one is written as a plain string
 * @param logprobs report each token's log-prob with this many alternatives (0 to 5)
 * @param echo     return the prompt's tokens (and their log-probs) before the completion, as lm-evaluation-harness
 *                 asks vLLM for log-likelihoods (herd serve echoes too, with the prompt tokens' log-probs)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CompletionRequest(
        @JsonProperty("model") String model,
        @JsonProperty("prompt") @JsonSerialize(using = PromptSerializer.class) List<String> prompt,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("n") Integer n,
        @JsonProperty("seed") Long seed,
        @JsonProperty("stop") List<String> stop,
        @JsonProperty("stream") Boolean stream,
        @JsonProperty("logprobs") Integer logprobs,
        @JsonProperty("echo") Boolean echo) {

    /** One seeded sample of a text prompt; stop strings as {@link ChatCompletionRequest#sample}. */
    public static CompletionRequest sample(String model, String prompt, int maxTokens, double temperature, long seed,
                                           List<String> stop) {
        return new CompletionRequest(model, List.of(prompt), temperature, null, maxTokens, null, seed,
                ChatCompletionRequest.firstStops(stop), null, null, null);
    }

    /**
     * The log-probs of {@code text}'s own tokens: one greedy token after it, with the prompt echoed and each
     * token's log-prob (how a served model scores a continuation).
     */
    public static CompletionRequest echoLogprobs(String model, String text) {
        return new CompletionRequest(model, List.of(text), 0.0, null, 1, null, null, null, null, 1, true);
    }
}
