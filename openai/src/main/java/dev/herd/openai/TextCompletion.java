package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The answer to a (legacy) completion request, and also each event of a streamed one: OpenAI uses the same
 * {@code text_completion} object for both, without {@code usage} in the stream.
 *
 * @param created Unix seconds
 * @param usage   null in stream events (and then not written)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TextCompletion(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("model") String model,
        @JsonProperty("choices") List<TextChoice> choices,
        @JsonProperty("usage") @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    public static final String OBJECT = "text_completion";

    /** The first choice's text, "" where the server gave none. */
    public String firstText() {
        return choices == null || choices.isEmpty() || choices.get(0).text() == null ? "" : choices.get(0).text();
    }
}
