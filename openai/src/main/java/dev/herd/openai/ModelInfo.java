package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One served model in a {@link ModelList}.
 *
 * @param id      the name requests give as {@code model}
 * @param created Unix seconds
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelInfo(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("owned_by") String ownedBy) {

    public static ModelInfo of(String id, long created, String ownedBy) {
        return new ModelInfo(id, "model", created, ownedBy);
    }
}
