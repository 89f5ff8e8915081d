package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One choice of a {@link TextCompletion}.
 *
 * @param logprobs     where the request asked for them, else null (written as null, as OpenAI does)
 * @param finishReason {@code stop} or {@code length}; null in stream events before the last
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TextChoice(
        @JsonProperty("index") int index,
        @JsonProperty("text") String text,
        @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.ALWAYS) Logprobs logprobs,
        @JsonProperty("finish_reason") @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}
