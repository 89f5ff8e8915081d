package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.Kind;
import dev.herd.recipes.synth.SynthData;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        JsonNode root = recipe.root();
        if (recipe.type().equals("rounds")) {
            requireModel(root.get("base"), "base");
            if (root.path("start").has("model")) {
                requireModel(root.path("start").get("model"), "start.model");
            }
            if (recipe.stage("rm", 1) == null) {
                for (int r = 1; r <= recipe.rounds(); r++) {
                    SamplePlan s = recipe.sample(r, device);
                    if (s != null && s.config().reward().contains("{rm}")) {
                        throw new HerdInputException(recipe.source() + ": stages.sample.reward uses {rm} but no round trains a reward model");
                    }
                }
            }
        } else {
            requireModel(root.get("teacher"), "teacher");
            requireModel(root.get("student"), "student");
        }
        for (String k : List.of("sft", "prompts", "preferences")) {
            for (String f : Recipe.texts(recipe.data().path(k))) {
                if (!Files.isRegularFile(Path.of(f))) {
                    throw new HerdInputException(recipe.source() + ": data." + k + ": " + f + ": no such file");
                }
            }
        }
        for (String t : Recipe.texts(recipe.root().path("eval").path("tasks"))) {
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

    private void requireModel(JsonNode m, String what) {
        if (m != null && m.isTextual() && !Files.isRegularFile(Path.of(m.asText()).resolve("config.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ": " + m.asText() + " is not a model folder (no config.json)");
        }
        JsonNode tok = m == null ? null : m.path("init").get("tokenizer");
        if (tok != null && !Files.isRegularFile(Path.of(tok.asText()).resolve("tokenizer.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ".init.tokenizer: " + tok.asText() + " has no tokenizer.json"
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
        JsonNode data = recipe.data();
        List<Path> sft = new ArrayList<>();
        List<Path> prompts = new ArrayList<>();
        List<Path> prefs = new ArrayList<>();
        if (data.has("synth")) {
            JsonNode s = data.get("synth");
            stages.steps().step(0, "setup", "synth", s, () -> {
                SynthData.write(dataDir, s.path("seed").asLong(recipe.seed()), new SynthData.Counts(s.path("sft").asInt(2000),
                        s.path("prompts").asInt(500), s.path("preferences").asInt(1000), s.path("eval").asInt(200)));
                return new Steps.Outcome(dataDir.toString(), null);
            }, "writing the synthetic task family to " + dataDir);
            sft.add(dataDir.resolve(SynthData.SFT));
            prompts.add(dataDir.resolve(SynthData.PROMPTS));
            prefs.add(dataDir.resolve(SynthData.PREFERENCES));
        }
        Recipe.texts(data.path("sft")).forEach(f -> sft.add(Path.of(f)));
        Recipe.texts(data.path("prompts")).forEach(f -> prompts.add(Path.of(f)));
        Recipe.texts(data.path("preferences")).forEach(f -> prefs.add(Path.of(f)));
        stages.importFiles(Kind.SFT, sft);
        stages.importFiles(Kind.PROMPTS, prompts);
        stages.importFiles(Kind.PREFERENCE, prefs);
        JsonNode root = recipe.root();
        return recipe.type().equals("rounds") ? stages.initModel(root.get("base"), work.resolve("base"), "base")
                : stages.initModel(root.get("student"), work.resolve("student-start"), "student");
    }

    /** For tests: the recipe's work folder. */
    Path work() {
        return work;
    }
}
