package dev.herd.recipes.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.datasets.Store;
import dev.herd.llama.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round whose only reward is the round's own reward model ({@code "reward": "rm:{rm}"}): the runner hands the
 * sampling stage the reward model it just trained, typed, and every sample is scored by it, the best of each
 * prompt kept as SFT data and (best, worst) stored as a pair. Before, this held only because two places agreed
 * on how to spell the scorer's name.
 */
class LoneRmRewardTest {

    @TempDir
    Path tmp;

    @Test
    void aLoneRmPlaceholderRewardScoresEverySampleWithTheRoundsRewardModelAndBuildsPairs() throws Exception {
        String json = """
                {
                  "name": "lone-rm", "seed": 5, "rounds": 1,
                  "base": {"init": {"hidden": 16, "layers": 1, "heads": 2, "kv-heads": 1, "intermediate": 32, "tokenizer": "%s"}},
                  "data": {"synth": {"sft": 20, "prompts": 10, "preferences": 16, "eval": 8}},
                  "eval": {"tasks": ["custom:{data}/eval.jsonl"], "batch": 8},
                  "stages": {
                    "rm": {"max-steps": 2, "batch-size": 4, "max-seq-len": 96},
                    "sample": {"n": 4, "max-new-tokens": 6, "temperature": 1.0, "reward": "rm:{rm}"},
                    "sft": {"max-steps": 1, "batch-size": 2, "max-seq-len": 96}
                  }
                }
                """.formatted(TestPaths.tokenizer().toAbsolutePath());
        Path recipe = tmp.resolve("lone-rm.json");
        Files.writeString(recipe, json);
        Path work = tmp.resolve("work");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        new RecipeRunner(Recipe.load(recipe, work, null), "cpu", new PrintStream(text, true, StandardCharsets.UTF_8)).run();

        String rm = "rm:" + work.resolve("r1/rm").toAbsolutePath().normalize();
        try (Store s = Store.openExisting(work.resolve("herd.duckdb"))) {
            long prompts = s.count("SELECT count(*) FROM prompts");
            assertEquals(10, prompts);
            assertEquals(prompts * 4, s.count("SELECT count(*) FROM samples WHERE round = 1"));
            assertEquals(prompts * 4, s.count("SELECT count(*) FROM scores WHERE scorer = ?", rm),
                    "every sample scored by the round's reward model, under its name");
            assertEquals(0, s.count("SELECT count(*) FROM scores WHERE scorer <> ?", rm), "and by nothing else");
            assertEquals(prompts, s.count("SELECT count(*) FROM sft WHERE origin = 'rejection_sampling' AND round = 1"),
                    "each prompt's best kept as SFT data");
            long pairs = s.count("SELECT count(*) FROM preferences WHERE source = 'rejection_sampling' AND round = 1");
            // A random reward model gives K distinct samples distinct scores: every prompt has a strict best and worst.
            assertTrue(pairs > 0 && pairs <= prompts, "pairs: " + pairs);
            assertEquals(pairs, s.count("SELECT count(*) FROM preferences p WHERE round = 1 AND EXISTS (SELECT 1 FROM samples x "
                    + "JOIN scores v ON v.sample_id = x.id WHERE x.response = p.chosen AND v.scorer = ?)", rm),
                    "each pair's chosen side is a scored sample");
        }
    }
}
