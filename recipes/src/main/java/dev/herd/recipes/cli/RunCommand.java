package dev.herd.recipes.cli;

import dev.herd.recipes.run.Recipe;
import dev.herd.recipes.run.RecipeRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Carry out a recipe end to end: Llama 3's alignment rounds (reward model, rejection sampling, "
                + "curation, SFT from the base, DPO, model averaging, evaluation with 95%% CIs; the best candidate becomes "
                + "the next round's policy) or a distillation from a teacher. Everything lands in the recipe's DuckDB "
                + "store; run the same command again after a crash (even kill -9) to continue where it stopped."})
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "Recipe JSON (see recipes/*.json).")
    Path recipe;

    @Option(names = "--db", description = "Store to use (default: the recipe's db, or WORK/herd.duckdb).")
    Path db;

    @Option(names = "--work", description = "Folder for data and models (default: the recipe's work, or runs/NAME).")
    Path work;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto, for sampling and evaluation "
            + "(trainers take theirs from the recipe's stage settings). Default: ${DEFAULT-VALUE}")
    String device;

    @Option(names = "--check", description = "Check the recipe, its inputs and the store, then stop.")
    boolean check;

    @Override
    public Integer call() {
        return execute(Recipe.load(recipe, work, db), device, check);
    }

    static int execute(Recipe r, String device, boolean check) {
        RecipeRunner runner = new RecipeRunner(r, device, System.out);
        if (check) {
            runner.preflight();
            System.out.printf("recipe %s (%s) is valid: work %s, store %s%n", r.name(), r.type(), r.work(), r.db());
            return 0;
        }
        runner.run();
        return 0;
    }
}
