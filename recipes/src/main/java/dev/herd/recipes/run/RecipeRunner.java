package dev.herd.recipes.run;

import dev.herd.common.HerdInputException;
import dev.herd.datasets.Kind;
import dev.herd.recipes.synth.SynthData;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Carries out a recipe: Llama 3's rounds (reward model, rejection sampling, curation, SFT from the base, DPO from
 * the SFT model, averaging of runs, evaluation; the best candidate becomes the next round's policy) or a
 * distillation from a teacher. Every step goes through the {@link Ledger}, so running the same recipe again
 * after a crash or a {@code kill -9} continues where it stopped.
 */
public final class RecipeRunner {

    private final Recipe recipe;
    private final Ledger ledger;
    private final PrintStream out;
    private final String device;
    private final Path work;
    private final Path dataDir;

    public RecipeRunner(Recipe recipe, String device, PrintStream out) {
        this.recipe = recipe;
        this.ledger = new Ledger(recipe.db());
        this.out = out;
        this.device = device;
        this.work = recipe.work();
        this.dataDir = work.resolve("data");
    }

    /** Checks what can be checked without running anything: the store's owner, input models, data files. */
    public void preflight() {
        if (recipe.type().equals("rounds")) {
            requireModel(recipe.base(), "base");
            if (recipe.startModel() != null) {
                requireModel(recipe.startModel(), "start.model");
            }
            if (recipe.rm(1, device) == null) {
                for (int r = 1; r <= recipe.rounds(); r++) {
                    SamplePlan s = recipe.sample(r, device);
                    if (s != null && s.config().reward().contains("{rm}")) {
                        throw new HerdInputException(recipe.source() + ": stages.sample.reward uses {rm} but no round trains a reward model");
                    }
                }
            }
        } else {
            requireModel(recipe.teacher(), "teacher");
            requireModel(recipe.student(), "student");
        }
        DataPlan data = recipe.data();
        for (Map.Entry<String, List<Path>> files : Map.of("sft", data.sft(), "prompts", data.prompts(), "preferences",
                data.preferences()).entrySet()) {
            for (Path f : files.getValue()) {
                if (!Files.isRegularFile(f)) {
                    throw new HerdInputException(recipe.source() + ": data." + files.getKey() + ": " + f + ": no such file");
                }
            }
        }
        for (String t : recipe.evalTaskNames()) {
            if (t.startsWith("custom:") && !t.contains("{data}") && !Files.isRegularFile(Path.of(t.substring(7)))) {
                throw new HerdInputException(recipe.source() + ": eval.tasks: " + t.substring(7) + ": no such file");
            }
        }
        try {
            Files.createDirectories(work);
            if (recipe.db().getParent() != null) {
                Files.createDirectories(recipe.db().getParent());
            }
        } catch (IOException e) {
            throw new HerdInputException(work + ": cannot create the work folder (" + e.getMessage() + ")");
        }
        ledger.with(s -> {
            Ledger.claim(s, recipe);
            return null;
        });
    }

    private void requireModel(ModelSpec m, String what) {
        if (m.folder() != null && !Files.isRegularFile(m.folder().resolve("config.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ": " + m.folder() + " is not a model folder (no config.json)");
        }
        Path tok = m.init() == null ? null : m.init().tokenizer();
        if (tok != null && !Files.isRegularFile(tok.resolve("tokenizer.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ".init.tokenizer: " + tok + " has no tokenizer.json"
                    + " (relative paths are from the current directory: " + Path.of("").toAbsolutePath() + ")");
        }
    }

    public void run() {
        long t0 = System.nanoTime();
        preflight();
        out.printf("recipe %s (%s) — work %s, store %s%n", recipe.name(), recipe.type(), work, recipe.db());
        Steps steps = new Steps(ledger, out);
        Stages stages = new Stages(recipe, steps, recipe.eval(dataDir, device));
        Path start = setup(stages);
        RoundsLoop loop = new RoundsLoop(recipe, stages, device, out);
        if (recipe.type().equals("rounds")) {
            stages.copyFinal(loop.run(start));
        } else {
            new Distillation(recipe, stages, loop, device).run(start);
        }
        out.println();
        ledger.with(s -> {
            RoundTable.print(s, out);
            return null;
        });
        out.printf("%nfinished in %s; `herd report --db %s --out report.html` charts it%n",
                RoundTable.duration((System.nanoTime() - t0) / 1e9), recipe.db());
    }

    // ---- set-up: data and starting models ----

    /** Writes or imports the data and makes the starting model; returns it (the base, or the student's start). */
    private Path setup(Stages stages) {
        DataPlan data = recipe.data();
        List<Path> sft = new ArrayList<>();
        List<Path> prompts = new ArrayList<>();
        List<Path> prefs = new ArrayList<>();
        if (data.synth() != null) {
            stages.steps().step(0, "setup", "synth", data.synthJson(), () -> {
                SynthData.write(dataDir, data.synthSeed(), data.synth());
                return new Steps.Outcome(dataDir.toString(), null);
            }, "writing the synthetic task family to " + dataDir);
            sft.add(dataDir.resolve(SynthData.SFT));
            prompts.add(dataDir.resolve(SynthData.PROMPTS));
            prefs.add(dataDir.resolve(SynthData.PREFERENCES));
        }
        sft.addAll(data.sft());
        prompts.addAll(data.prompts());
        prefs.addAll(data.preferences());
        stages.importFiles(Kind.SFT, sft);
        stages.importFiles(Kind.PROMPTS, prompts);
        stages.importFiles(Kind.PREFERENCE, prefs);
        return recipe.type().equals("rounds") ? stages.initModel(recipe.base(), work.resolve("base"), "base")
                : stages.initModel(recipe.student(), work.resolve("student-start"), "student");
    }

    /** For tests: the recipe's work folder. */
    Path work() {
        return work;
    }
}
