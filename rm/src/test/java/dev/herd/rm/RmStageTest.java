package dev.herd.rm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.Preference;
import dev.herd.datasets.PromptRow;
import dev.herd.datasets.SampleRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Strength;
import dev.herd.datasets.Tables;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import dev.herd.llama.io.SafetensorsReader;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reward model's typed API: {@link RmConfig} from recipe JSON, {@link RmStage} from Java. */
class RmStageTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRecipeObjectGivesTheDefaultsItLeavesAndTheOverridesItSets() throws Exception {
        RmConfig d = RmConfig.defaults();
        assertEquals(RankingEncoder.Pairs.ALL, d.pairs());
        assertEquals(EnumSet.allOf(Strength.class), d.strengths(), "no strength given: all kept");
        assertFalse(d.margin());
        RmConfig c = RmConfig.from(JSON.readTree("{\"pairs\": \"chosen-rejected\", \"margin\": true, "
                + "\"strength\": [\"significantly better,better\"], \"batch_size\": 3}"), "recipe.json: stages.rm");
        assertEquals(RankingEncoder.Pairs.CHOSEN_REJECTED, c.pairs());
        assertTrue(c.margin());
        assertEquals(EnumSet.of(Strength.SIGNIFICANTLY_BETTER, Strength.BETTER), c.strengths(), "comma-separated, as --strength a,b");
        assertEquals(3, c.training().batchSize());
        assertEquals(1e-5, c.training().lr(), "a default");
        assertEquals(c, RmConfig.from(c.toJson(), "ledger"));
    }

    @Test
    void anUnknownKeyOrABadValueIsOneLineNamingTheSource() throws Exception {
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> RmConfig.from(JSON.readTree("{\"where\": \"round = 1\"}"), "recipe.json: stages.rm"));
        assertTrue(e.getMessage().startsWith("recipe.json: stages.rm: unknown setting 'where'; known: "), e.getMessage());
        e = assertThrows(HerdInputException.class, () -> RmConfig.from(JSON.readTree("{\"pairs\": \"some\"}"), "r.json"));
        assertEquals("r.json: pairs must be all or chosen-rejected, got some", e.getMessage());
        e = assertThrows(HerdInputException.class, () -> RmConfig.from(JSON.readTree("{\"strength\": \"much better\"}"), "r.json"));
        assertTrue(e.getMessage().startsWith("r.json: strength 'much better' is not one of"), e.getMessage());
    }

    @Test
    void theStageTrainsFromJavaAndScoresTheStore(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 2, 0.05, Device.cpu())) {
            ModelFolder.save(m, base, TestPaths.tokenizer());
        }
        List<Preference> rankings = new ArrayList<>();
        for (String topic : List.of("cats", "tea", "maps", "jazz")) {
            rankings.add(new Preference(0, List.of(ChatMessage.user("Tell me about " + topic + ".")), "Sure, here it is.", "No.",
                    null, null, null, null, topic.equals("jazz") ? "test" : null));
        }
        RmConfig config = RmConfig.from(JSON.readTree("{\"lr\": 0.003, \"max-steps\": 2, \"batch-size\": 3}"), "test");
        Path out = tmp.resolve("rm");
        RmResult r = RmStage.train(base, rankings, out, config);
        assertFalse(r.finishedBefore());
        assertEquals(2.0, r.metrics().get("step"));
        assertTrue(r.metrics().containsKey("pairwise_accuracy") && r.metrics().containsKey("eval_pairwise_accuracy"),
                r.metrics().toString());
        RmResult again = RmStage.train(base, rankings, out, config);
        assertTrue(again.finishedBefore());
        assertEquals(r.metrics(), again.metrics());

        Path db = tmp.resolve("project.duckdb");
        try (Store store = Store.open(db)) {
            Tables t = new Tables(store);
            long pid = t.addPrompts(List.of(PromptRow.text("Tell me about owls.", "test"))).get(0);
            t.addSamples(List.of(new SampleRow(0, pid, "Sure.", "m", 1, null, null, null),
                    new SampleRow(0, pid, "No.", "m", 1, null, null, null)));
            StoreScores s = RmStage.scoreStore(store, out, null, "cpu", 4);
            assertEquals(new StoreScores("rm:" + out.toAbsolutePath().normalize(), 2, 0), s);
            assertEquals(new StoreScores(s.scorer(), 0, 2), RmStage.scoreStore(store, out, null, "cpu", 4), "each sample once");
            assertEquals(2, t.scores(null).size());
        }
        assertTrue(Files.exists(out.resolve("train_metrics.jsonl")));
    }

    @Test
    void loraTrainsAdaptersAndTheScoreHeadAndTheAdapterFolderScoresAsBasePlusAdapters(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 2, 0.05, Device.cpu())) {
            ModelFolder.save(m, base, TestPaths.tokenizer());
        }
        List<Preference> rankings = new ArrayList<>();
        for (String topic : List.of("cats", "tea", "maps", "jazz")) {
            rankings.add(new Preference(0, List.of(ChatMessage.user("Tell me about " + topic + ".")), "Sure, here it is.", "No.",
                    null, null, null, null, topic.equals("jazz") ? "test" : null));
        }
        RmConfig config = RmConfig.from(JSON.readTree("{\"lr\": 0.05, \"max-steps\": 3, \"batch-size\": 3, \"max-seq-len\": 128, \"lora-r\": 2, "
                + "\"lora-targets\": \"q,v\"}"), "test");
        Path out = tmp.resolve("rm");
        RmStage.train(base, rankings, out, config);
        assertEquals("SEQ_CLS", JSON.readTree(out.resolve("adapter_config.json").toFile()).get("task_type").asText());
        assertEquals("score", JSON.readTree(out.resolve("adapter_config.json").toFile()).get("modules_to_save").get(0).asText());
        float[] head;
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 2 * 2 + 1, r.tensors().size(), r.tensors().keySet().toString());
            head = r.readFloats("base_model.model.score.weight");
            assertArrayEquals(new long[] {1, 32}, r.info("base_model.model.score.weight").shape());
        }
        List<EncodedRanking> encoded;
        try (LlamaTokenizer tok = LlamaTokenizer.load(base)) {
            encoded = new RankingEncoder(ChatEncoder.of(tok), 256, RankingEncoder.Pairs.ALL, false, EnumSet.allOf(Strength.class))
                    .encode(rankings);
        }
        float[] expected;
        try (RewardModel unmerged = RewardModel.initFrom(base, 0, Device.cpu())) {
            dev.herd.llama.Tensors.copyInto(unmerged.scoreHead(), head);
            unmerged.decoder().useAdapters(dev.herd.llama.lora.AdapterFolder.load(out, unmerged.decoder(),
                    java.util.Set.of(RewardModel.PEFT_SCORE)));
            expected = unmerged.score(encoded, 4);
            float[] headOnly = unmerged.decoder().withoutAdapters(() -> unmerged.score(encoded, 4));
            double moved = 0;
            for (int i = 0; i < expected.length; i++) {
                moved = Math.max(moved, Math.abs(expected[i] - headOnly[i]));
            }
            assertTrue(moved > 1e-3, "the trained adapters change the rewards by " + moved);
        }
        try (RewardModel loaded = RewardModel.load(out, Device.cpu())) {
            float[] got = loaded.score(encoded, 4);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-4, "reward " + i);
            }
        }
    }
}
