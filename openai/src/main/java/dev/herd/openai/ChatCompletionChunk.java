package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One server-sent event of a streamed chat completion ({@code object} {@code chat.completion.chunk}). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletionChunk(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("model") String model,
        @JsonProperty("choices") List<ChatChunkChoice> choices) {

    public static final String OBJECT = "chat.completion.chunk";
}
