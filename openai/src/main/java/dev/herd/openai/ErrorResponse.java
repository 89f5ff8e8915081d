package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** An error answer: {@code {"error": {"message", "type", "param", "code"}}}, also sent as a stream's last event. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ErrorResponse(@JsonProperty("error") OpenAiError error) {}
