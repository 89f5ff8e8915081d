package dev.herd.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The answer to {@code GET /v1/models}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelList(@JsonProperty("object") String object, @JsonProperty("data") List<ModelInfo> data) {

    public static ModelList of(List<ModelInfo> models) {
        return new ModelList("list", List.copyOf(models));
    }
}
