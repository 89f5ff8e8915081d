package dev.herd.recipes.run;

import dev.herd.recipes.cli.DemoCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.datasets.Store;
import dev.herd.common.HerdInputException;
import dev.herd.recipes.cli.HerdCli;
import dev.herd.common.cli.HerdCommandLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Recipe checking: everything a typo or a wrong path can break fails before any stage runs. */
class RecipeTest {

    @TempDir
    Path tmp;

    private static final String STAGES = "\"stages\": {\"sft\": {\"max-steps\": 2}}";
    private static final String COMMON = "\"data\": {\"synth\": {\"sft\": 10}}, \"eval\": {\"tasks\": [\"custom:{data}/eval.jsonl\"]}, ";

    private Path write(String name, String json) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, json);
        return f;
    }

    private String error(String json) throws Exception {
        Path f = write("r.json", json);
        return assertThrows(HerdInputException.class, () -> Recipe.load(f)).getMessage();
    }

    private String base() throws Exception {
        Path base = tmp.resolve("base");
        Files.createDirectories(base);
        Files.writeString(base.resolve("config.json"), "{}");
        return base.toString();
    }

    @Test
    void shippedRecipesAreValid() {
        // The module's folder holds the recipes the README points users at.
        Recipe demo = Recipe.load(Path.of("tiny-six-rounds.json"));
        assertEquals("rounds", demo.type());
        assertEquals(6, demo.rounds());
        assertEquals(Path.of("runs/tiny-six-rounds/herd.duckdb"), demo.db());
        // Overrides replace the stage's keys for one round only.
        assertEquals(2, demo.stage("dpo", 3).get("runs").size());
        Recipe distill = Recipe.load(Path.of("distill-tiny.json"));
        assertEquals("distill", distill.type());
        Recipe big = Recipe.load(Path.of("llama-3.1-8b.json"));
        assertEquals("rounds", big.type());
    }

    @Test
    void theNoRsAblationIsTheDemoWithoutRejectionSamplingAtEqualTrainingSteps() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode demo = json.readTree(Path.of("tiny-six-rounds.json").toFile());
        com.fasterxml.jackson.databind.JsonNode ablation = json.readTree(Path.of("tiny-six-rounds-no-rs.json").toFile());
        Recipe.load(Path.of("tiny-six-rounds-no-rs.json"));   // valid: every stage setting parses as its command's flags
        // The same base, data, evaluation, round-0 SFT, rounds, seed and round overrides...
        for (String key : java.util.List.of("type", "seed", "base", "data", "eval", "start", "rounds", "round-overrides")) {
            assertEquals(demo.path(key), ablation.path(key), key);
        }
        // ... the same SFT and DPO stages (steps, batch, learning rate, runs, data conditions) ...
        assertEquals(demo.path("stages").path("sft"), ablation.path("stages").path("sft"));
        assertEquals(demo.path("stages").path("dpo"), ablation.path("stages").path("dpo"));
        // ... and nothing of rejection sampling: no sampling, so no curation of its rows and no reward model to score them.
        java.util.Set<String> stages = new java.util.TreeSet<>();
        ablation.path("stages").fieldNames().forEachRemaining(stages::add);
        assertEquals(java.util.Set.of("sft", "dpo"), stages);
        assertTrue(demo.path("stages").has("sample") && demo.path("stages").has("rm"));
        assertFalse(ablation.path("name").asText().equals(demo.path("name").asText()), "its own work folder and store");
    }

    @Test
    void demoSeedIsAnotherRunInItsOwnFolderAndNoRsIsTheAblation() {
        Recipe zero = Recipe.builtin(DemoCommand.RESOURCE, null, null, null);
        assertEquals(0, zero.seed());
        assertEquals(Path.of("runs/tiny-six-rounds"), zero.work());
        Recipe three = Recipe.builtin(DemoCommand.RESOURCE, 3L, null, null);
        assertEquals(3, three.seed());
        assertEquals("tiny-six-rounds-seed-3", three.name());
        assertEquals(Path.of("runs/tiny-six-rounds-seed-3/herd.duckdb"), three.db());
        assertFalse(three.sha256().equals(zero.sha256()), "another recipe: a store of seed 0 refuses it");
        Recipe ablation = Recipe.builtin(DemoCommand.NO_RS_RESOURCE, null, null, null);
        assertEquals("tiny-six-rounds-no-rs", ablation.name());
        assertNull(ablation.stage("sample", 1));
    }

    @Test
    void unknownKeysAndStagesListTheValidOnes() throws Exception {
        String b = base();
        String top = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"round\": 3, " + STAGES + "}");
        assertTrue(top.contains("'round'") && top.contains("rounds") && top.contains("round-overrides"), top);
        String stage = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"stages\": {\"sft\": {}, \"ppo\": {}}}");
        assertTrue(stage.contains("ppo") && stage.contains("rm") && stage.contains("dpo") && stage.contains("curate"), stage);
        String flag = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"stages\": {\"sft\": {\"lrr\": 0.1}}}");
        assertTrue(flag.contains("stages.sft") && flag.contains("lrr") && flag.contains("max-steps"), flag);
        // The flags that wire stages together are the loop's.
        String managed = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"stages\": {\"sft\": {\"base\": \"/m\"}}}");
        assertTrue(managed.contains("'base'"), managed);
        // Values are parsed the way the command would.
        String value = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"stages\": {\"sft\": {\"max-steps\": \"many\"}}}");
        assertTrue(value.contains("stages.sft") && value.contains("many"), value);
        String over = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + b + "\", \"rounds\": 2, " + STAGES
                + ", \"round-overrides\": {\"3\": {\"sft\": false}}}");
        assertTrue(over.contains("round 3 of 1..2"), over);
        String type = error("{\"name\": \"x\", " + COMMON + "\"type\": \"ppo\", " + STAGES + "}");
        assertTrue(type.contains("[rounds, distill]"), type);
        String json = error("{\"name\": \"x\",");
        assertTrue(json.contains("not valid JSON"), json);
    }

    @Test
    void loraSettingsReachEachTrainingStageAndABadTargetNamesTheStage() throws Exception {
        Path f = write("r.json", "{\"name\": \"x\", " + COMMON + "\"base\": \"" + base() + "\", \"rounds\": 1, \"stages\": {"
                + "\"rm\": {\"lora-r\": 2}, \"sft\": {\"lora-r\": 8, \"lora-alpha\": 16, \"lora-targets\": \"q,v\"}, "
                + "\"dpo\": {\"lora_r\": 4, \"lora_dropout\": 0.1}}}");
        Recipe r = Recipe.load(f);
        assertEquals(new dev.herd.llama.lora.LoraConfig(8, 16, 0, dev.herd.llama.lora.LoraConfig.targets("q,v")),
                r.sft(1, "cpu").runs().get(0).config().lora());
        assertEquals(4, r.dpo(1, "cpu").runs().get(0).config().lora().r());
        assertEquals(0.1, r.dpo(1, "cpu").runs().get(0).config().lora().dropout());
        assertEquals(2, r.rm(1, "cpu").runs().get(0).config().lora().r());
        assertEquals(7, r.rm(1, "cpu").runs().get(0).config().lora().targets().size(), "every projection by default");
        String bad = error("{\"name\": \"x\", " + COMMON + "\"base\": \"" + base() + "\", \"stages\": {"
                + "\"sft\": {\"lora-r\": 8, \"lora-targets\": \"q,x\"}}}");
        assertTrue(bad.contains("sft") && bad.contains("unknown projection 'x'"), bad);
        assertFalse(bad.contains("\n"));
    }

    @Test
    void roundOverridesMergeAndCanSwitchAStageOff() throws Exception {
        Path f = write("r.json", "{\"name\": \"x\", " + COMMON + "\"base\": \"" + base() + "\", \"rounds\": 2, \"stages\": {"
                + "\"sft\": {\"max-steps\": 2, \"lr\": 0.1}, \"dpo\": {\"max-steps\": 1}}, "
                + "\"round-overrides\": {\"2\": {\"sft\": {\"lr\": 0.5}, \"dpo\": false}}}");
        Recipe r = Recipe.load(f);
        assertEquals(0.1, r.stage("sft", 1).get("lr").asDouble());
        assertEquals(0.5, r.stage("sft", 2).get("lr").asDouble());
        assertEquals(2, r.stage("sft", 2).get("max-steps").asInt());
        assertEquals(1, r.stage("dpo", 1).get("max-steps").asInt());
        assertNull(r.stage("dpo", 2));
        assertNull(r.stage("rm", 1));
    }

    @Test
    void missingModelsAndForeignStoresFailBeforeAnythingRuns() throws Exception {
        Path work = tmp.resolve("work");
        Path missing = write("m.json", "{\"name\": \"a\", " + COMMON + "\"base\": \"" + tmp.resolve("nope") + "\", " + STAGES + "}");
        String e = assertThrows(HerdInputException.class,
                () -> new RecipeRunner(Recipe.load(missing, work, null), "cpu", System.out).preflight()).getMessage();
        assertTrue(e.contains("base") && e.contains("nope") && e.contains("config.json"), e);
        assertFalse(Files.exists(work.resolve("herd.duckdb")), "nothing written for a recipe that cannot run");
        Path noTokenizer = write("t.json", "{\"name\": \"a\", " + COMMON + "\"base\": {\"init\": {\"hidden\": 8, \"layers\": 1, "
                + "\"heads\": 2, \"kv-heads\": 1, \"intermediate\": 16, \"tokenizer\": \"" + tmp.resolve("no-tok") + "\"}}, " + STAGES + "}");
        String tok = assertThrows(HerdInputException.class,
                () -> new RecipeRunner(Recipe.load(noTokenizer, work, null), "cpu", System.out).preflight()).getMessage();
        assertTrue(tok.contains("base.init.tokenizer") && tok.contains("no-tok"), tok);

        String b = base();
        Path a = write("a.json", "{\"name\": \"a\", " + COMMON + "\"base\": \"" + b + "\", " + STAGES + "}");
        new RecipeRunner(Recipe.load(a, work, null), "cpu", System.out).preflight();
        Path other = write("b.json", "{\"name\": \"b\", " + COMMON + "\"base\": \"" + b + "\", " + STAGES + "}");
        String foreign = assertThrows(HerdInputException.class,
                () -> new RecipeRunner(Recipe.load(other, work, null), "cpu", System.out).preflight()).getMessage();
        assertTrue(foreign.contains("belongs to recipe 'a'"), foreign);
        // The same recipe, edited after it started filling the store.
        Path edited = write("a.json", "{\"name\": \"a\", " + COMMON + "\"base\": \"" + b + "\", \"stages\": {\"sft\": {\"max-steps\": 3}}}");
        String changed = assertThrows(HerdInputException.class,
                () -> new RecipeRunner(Recipe.load(edited, work, null), "cpu", System.out).preflight()).getMessage();
        assertTrue(changed.contains("has changed"), changed);
        // A store filled by hand is not taken over either.
        Path manual = tmp.resolve("manual.duckdb");
        try (Store s = Store.open(manual)) {
            s.update("INSERT INTO runs (id, round, stage, name, status) VALUES (1, 0, 'sft', 'by-hand', 'finished')");
        }
        String used = assertThrows(HerdInputException.class,
                () -> new RecipeRunner(Recipe.load(a, work, manual), "cpu", System.out).preflight()).getMessage();
        assertTrue(used.contains("no recipe made"), used);
    }

    @Test
    void badRecipeIsOneLineAndExitCodeTwo() throws Exception {
        Path f = write("r.json", "{\"name\": \"x\", " + COMMON + "\"base\": \"" + base() + "\", \"stages\": {\"sft\": {}, \"ppo\": {}}}");
        StringWriter err = new StringWriter();
        CommandLine cli = HerdCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(2, cli.execute("run", f.toString(), "--check"));
        assertEquals(1, err.toString().trim().split("\n").length, err.toString());
        assertTrue(err.toString().contains("ppo"), err.toString());
    }
}
