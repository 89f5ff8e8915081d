package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.curate.CurationStep;
import dev.herd.datasets.curate.Curator;
import java.util.List;

/**
 * A round's curation: the recipe's {@code herd data curate} steps, limited to the round's own rows.
 *
 * @param steps the curation steps, as {@code herd data curate} parses them, scoped by {@code where}
 * @param where SQL condition on the SFT rows, {@code {round}} filled in
 */
record CuratePlan(List<CurationStep> steps, String where, JsonNode settings) {

    static CuratePlan of(JsonNode settings, int round, String source) {
        String where = settings.path("where").asText("round = {round}").replace("{round}", String.valueOf(round));
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        config.put("where", where);
        config.set("steps", settings.get("steps"));
        return new CuratePlan(Curator.parse(config, source), where, settings);
    }
}
