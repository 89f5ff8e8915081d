package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What went wrong, inside an {@link ErrorResponse}. All four fields are always written (null where unknown), as
 * OpenAI's clients expect them.
 *
 * @param type  {@code invalid_request_error} or {@code server_error}
 * @param param the request field at fault; Herd names it in the message instead and leaves this null
 * @param code  a machine-readable reason such as {@code model_not_found} or {@code invalid_api_key}, or null
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public record OpenAiError(
        @JsonProperty("message") String message,
        @JsonProperty("type") String type,
        @JsonProperty("param") String param,
        @JsonProperty("code") String code) {

    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String SERVER_ERROR = "server_error";
}
