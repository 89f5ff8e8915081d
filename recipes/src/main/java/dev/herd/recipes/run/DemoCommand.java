package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The built-in demo: `herd run recipes/tiny-six-rounds.json` with no download — a synthetic task "
                + "family with verifiable answers, simulated annotator rankings, a tiny Llama 3.1-architecture model with "
                + "the Llama 3.1 tokenizer pruned to the task family (shipped in recipes/tokenizers/) and six rounds (a "
                + "few minutes on 2 cores). Candidates are chosen on a dev split; the end is a table of every round on "
                + "the test split and whether the final policy beat round 0 (paired bootstrap 95%% CI). Resumable like "
                + "herd run."})
public final class DemoCommand implements Callable<Integer> {

    /** The shipped recipes, packaged from recipes/*.json. */
    static final String RESOURCE = "dev/herd/recipes/builtin/tiny-six-rounds.json";
    static final String NO_RS_RESOURCE = "dev/herd/recipes/builtin/tiny-six-rounds-no-rs.json";

    @Option(names = "--seed", description = "Seed of the data, the model and every random choice (default: the recipe's, 0). "
            + "Another seed is another run: its default work folder is runs/tiny-six-rounds-seed-N.")
    Long seed;

    @Option(names = "--no-rs", description = "The ablation: the same rounds without rejection sampling (SFT on the seed data "
            + "alone at equal steps, DPO on the human rankings), = herd run recipes/tiny-six-rounds-no-rs.json.")
    boolean noRs;

    @Option(names = "--db", description = "Store to use (default: WORK/herd.duckdb).")
    Path db;

    @Option(names = "--work", description = "Folder for data and models (default: runs/NAME, NAME the recipe's name).")
    Path work;

    @Option(names = "--device", defaultValue = "cpu", description = "Default: ${DEFAULT-VALUE}")
    String device;

    @Override
    public Integer call() {
        return RunCommand.execute(builtin(noRs ? NO_RS_RESOURCE : RESOURCE, seed, work, db), device, false);
    }

    static Recipe builtin(Path work, Path db) {
        return builtin(RESOURCE, null, work, db);
    }

    /**
     * The packaged recipe {@code resource}, with {@code seed} (when given) as its seed and name suffix, and its
     * init tokenizer found in the checkout the {@code herd} launcher runs from ({@code herd.home}), so the demo
     * runs from any folder.
     */
    static Recipe builtin(String resource, Long seed, Path work, Path db) {
        try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new HerdInputException("the built-in recipe is missing from the class path (" + resource + ")");
            }
            ObjectNode root = (ObjectNode) Ledger.JSON.readTree(in);
            if (seed != null && seed != root.path("seed").asLong(0)) {
                root.put("seed", seed);
                root.put("name", root.get("name").asText() + "-seed-" + seed);
            }
            JsonNode init = root.path("base").path("init");
            String home = System.getProperty("herd.home");
            if (init.has("tokenizer") && home != null) {
                Path tok = Path.of(init.get("tokenizer").asText());
                if (!tok.isAbsolute() && !Files.isDirectory(tok) && Files.isDirectory(Path.of(home).resolve(tok))) {
                    ((ObjectNode) init).put("tokenizer", Path.of(home).resolve(tok).toString());
                }
            }
            String file = resource.substring(resource.lastIndexOf('/') + 1);
            return Recipe.parse(Path.of("recipes/" + file), root, work, db);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
