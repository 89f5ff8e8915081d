package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The legacy completions' log-probs: four lists with one entry per token. Read leniently: servers that echo the
 * prompt give null for its first token's log-prob, and some send only the lists they were asked for.
 *
 * @param tokens        each token's text
 * @param tokenLogprobs each token's log-probability (null where it has none)
 * @param topLogprobs   per token, the most likely alternatives' texts and log-probs, best first
 * @param textOffset    where each token starts in the text (the echoed prompt included)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Logprobs(
        @JsonProperty("tokens") List<String> tokens,
        @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
        @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
        @JsonProperty("text_offset") List<Integer> textOffset) {}
