package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.llama.InitConfig;
import java.nio.file.Path;

/**
 * A model a recipe names: a folder ({@code "models/base"}), a new random model ({@code {"init": {...}}}, the
 * settings of {@code herd init-model}), or, for a teacher, a model served behind an OpenAI-compatible API
 * ({@code {"url": "http://host:8000/v1", "model": NAME}}). Exactly one of the three is set.
 */
record ModelSpec(Path folder, InitConfig init, String url, String servedName) {

    /** Reads a checked model entry; an init's seed defaults to the recipe's. */
    static ModelSpec of(JsonNode m, long recipeSeed, String where) {
        if (m.isTextual()) {
            return new ModelSpec(Path.of(m.asText()), null, null, null);
        }
        if (m.has("init")) {
            InitConfig c = InitConfig.from(m.get("init"), where + ".init");
            return new ModelSpec(null, m.get("init").has("seed") ? c : c.withSeed(recipeSeed), null, null);
        }
        return new ModelSpec(null, null, m.get("url").asText(), m.path("model").asText(null));
    }

    boolean served() {
        return url != null;
    }
}
