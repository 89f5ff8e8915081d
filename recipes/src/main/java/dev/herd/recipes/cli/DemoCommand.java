package dev.herd.recipes.cli;

import dev.herd.recipes.run.Recipe;
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
    public static final String RESOURCE = "dev/herd/recipes/builtin/tiny-six-rounds.json";
    public static final String NO_RS_RESOURCE = "dev/herd/recipes/builtin/tiny-six-rounds-no-rs.json";

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
        return RunCommand.execute(Recipe.builtin(noRs ? NO_RS_RESOURCE : RESOURCE, seed, work, db), device, false);
    }

    static Recipe builtin(Path work, Path db) {
        return Recipe.builtin(RESOURCE, null, work, db);
    }

}
