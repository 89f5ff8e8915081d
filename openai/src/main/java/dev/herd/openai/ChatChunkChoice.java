package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.herd.llama.chat.ChatMessage;

/**
 * One choice's part of a {@link ChatCompletionChunk}.
 *
 * @param delta        the part of the message that is new: the role once at the start, then pieces of content;
 *                     a message with neither writes as {@code {}} (the last event, which only finishes)
 * @param finishReason null until the choice's last event
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatChunkChoice(
        @JsonProperty("index") int index,
        @JsonProperty("delta") ChatMessage delta,
        @JsonProperty("finish_reason") @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {}
