package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.curate.CurationStep;
import dev.herd.datasets.curate.Curator;
import java.util.List;

/** A round's curation: the recipe's {@code herd data curate} steps, limited to the round's own rows. */
final class CurateStage {

    private CurateStage() {}

    /** Parses {@code steps} as {@code herd data curate} would, scoped by {@code where}. */
    static List<CurationStep> parseSteps(JsonNode steps, String where, String source) {
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        config.put("where", where);
        config.set("steps", steps);
        return Curator.parse(config, source);
    }
}
