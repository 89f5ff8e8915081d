package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.recipes.synth.SynthData;
import java.nio.file.Path;
import java.util.List;

/**
 * What a recipe trains and samples on: the synthetic task family (when {@code synth} is given) and data files.
 *
 * @param synth      how many rows of each kind the synthetic family writes, or null
 * @param synthSeed  the family's seed (the recipe's unless {@code synth.seed})
 * @param synthJson  the {@code synth} object as written, recorded with its step
 */
record DataPlan(SynthData.Counts synth, long synthSeed, JsonNode synthJson, List<Path> sft, List<Path> prompts,
                List<Path> preferences) {

    static DataPlan of(JsonNode data, long recipeSeed) {
        JsonNode s = data.get("synth");
        SynthData.Counts counts = s == null ? null : new SynthData.Counts(s.path("sft").asInt(2000), s.path("prompts").asInt(500),
                s.path("preferences").asInt(1000), s.path("eval").asInt(200));
        return new DataPlan(counts, s == null ? recipeSeed : s.path("seed").asLong(recipeSeed), s, paths(data.path("sft")),
                paths(data.path("prompts")), paths(data.path("preferences")));
    }

    private static List<Path> paths(JsonNode files) {
        return Recipe.texts(files).stream().map(Path::of).toList();
    }
}
