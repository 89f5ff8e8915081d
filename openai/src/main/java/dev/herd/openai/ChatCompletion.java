package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The answer to a chat completion request ({@code object} {@code chat.completion}). Read leniently: a server
 * may leave out anything but {@code choices}.
 *
 * @param created Unix seconds
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletion(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("model") String model,
        @JsonProperty("choices") List<ChatChoice> choices,
        @JsonProperty("usage") Usage usage) {

    public static final String OBJECT = "chat.completion";

    /** The first choice's text, "" where the server gave none. */
    public String firstText() {
        if (choices == null || choices.isEmpty() || choices.get(0).message() == null
                || choices.get(0).message().content() == null) {
            return "";
        }
        return choices.get(0).message().content();
    }
}
