package dev.herd.llama.chat;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One turn of a conversation in Hugging Face's {@code messages} layout.
 *
 * @param role      {@code system}, {@code user}, {@code assistant}, {@code ipython} or {@code tool}
 * @param content   the text; may be null for an assistant turn that only calls tools
 * @param toolCalls OpenAI/HF style {@code [{"type": "function", "function": {"name", "arguments"}}]}, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatMessage(
        @JsonProperty("role") String role,
        @JsonProperty("content") String content,
        @JsonProperty("tool_calls") List<Map<String, Object>> toolCalls) {

    public ChatMessage(String role, String content) {
        this(role, content, null);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
