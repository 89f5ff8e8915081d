package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.llama.HerdInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The built-in demo: `herd run recipes/tiny-six-rounds.json` with no download — a synthetic task "
                + "family with verifiable answers, simulated annotator rankings, a tiny Llama 3.1-architecture model and "
                + "six rounds (about 10 minutes on 2 cores). Prints per round whether the held-out score beat round 0, "
                + "with 95%% CIs. Resumable like herd run."})
public final class DemoCommand implements Callable<Integer> {

    /** The shipped recipe, packaged from recipes/tiny-six-rounds.json. */
    static final String RESOURCE = "dev/herd/recipes/builtin/tiny-six-rounds.json";

    @Option(names = "--db", description = "Store to use (default: runs/tiny-six-rounds/herd.duckdb).")
    Path db;

    @Option(names = "--work", description = "Folder for data and models (default: runs/tiny-six-rounds).")
    Path work;

    @Option(names = "--device", defaultValue = "cpu", description = "Default: ${DEFAULT-VALUE}")
    String device;

    @Override
    public Integer call() {
        return RunCommand.execute(builtin(work, db), device, false);
    }

    static Recipe builtin(Path work, Path db) {
        try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new HerdInputException("the built-in recipe is missing from the class path (" + RESOURCE + ")");
            }
            JsonNode root = Ledger.JSON.readTree(in);
            return Recipe.parse(Path.of("recipes/tiny-six-rounds.json"), root, work, db);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
