package dev.herd.rm;

import dev.herd.rm.cli.RmCommand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.Preference;
import dev.herd.datasets.Strength;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.Tensors;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.cli.CliRun;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelTest {

    @TempDir
    static Path dir;
    static Path base;
    static LlamaTokenizer tok;
    static ChatEncoder chat;

    @BeforeAll
    static void setUp() {
        base = dir.resolve("base");
        // Untied, so the checkpoint has an LM head that the reward model must drop.
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, false), 1, 0.05, Device.cpu())) {
            ModelFolder.save(m, base, TestPaths.tokenizer());
        }
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        chat = ChatEncoder.of(tok);
    }

    @AfterAll
    static void tearDown() {
        tok.close();
    }

    static Preference ranking(String q, String edited, String chosen, String rejected) {
        return new Preference(0, List.of(ChatMessage.user(q)), chosen, rejected, edited, Strength.BETTER, null, null, null);
    }

    static RankingEncoder encoder() {
        return new RankingEncoder(chat, 512, RankingEncoder.Pairs.ALL, false, EnumSet.allOf(Strength.class));
    }

    /** The reward of one whole conversation scored alone: last token's hidden state · score head. */
    static double alone(RewardModel rm, List<ChatMessage> prompt, String answer) {
        List<ChatMessage> full = new ArrayList<>(prompt);
        full.add(ChatMessage.assistant(answer));
        int[] ids = chat.encode(full, false).ids();
        assertEquals(tok.tokenId("<|eot_id|>").orElseThrow(), ids[ids.length - 1], "the reward is read at the end of turn");
        try (NDManager m = rm.newStepManager()) {
            NDArray h = rm.decoder().hiddenStates(TokenBatch.causal(m, new int[][] {ids}), KvCache.NONE);
            float[] last = h.get(":, -1, :").toFloatArray();
            float[] w = rm.parameters().get("score.weight").toFloatArray();
            double r = 0;
            for (int i = 0; i < w.length; i++) {
                r += (double) last[i] * w[i];
            }
            return r;
        }
    }

    @Test
    void aPackedRankingGivesTheSameRewardsAsScoringEachResponseAlone() {
        Preference p = ranking("What is 3 + 4?", "3 + 4 = 7.", "7", "It is 8, I believe.");
        Preference q = new Preference(0, List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), "Hello!", "Go away",
                null, null, null, null, null);
        try (RewardModel rm = RewardModel.initFrom(base, 3, Device.cpu()); NDManager m = rm.newStepManager()) {
            List<EncodedRanking> rows = encoder().encode(List.of(p, q));
            assertEquals(3, rows.get(0).responses().size());
            float[] packed = rm.rewards(rows, m).toFloatArray();
            double[] expected = {alone(rm, p.prompt(), "3 + 4 = 7."), alone(rm, p.prompt(), "7"),
                alone(rm, p.prompt(), "It is 8, I believe."), alone(rm, q.prompt(), "Hello!"), alone(rm, q.prompt(), "Go away")};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], packed[i], 1e-4, "response " + i);
            }
            assertTrue(Math.abs(expected[0] - expected[1]) > 1e-4, "different responses get different rewards");
        }
    }

    @Test
    void lossIsBradleyTerryOverEveryOrderedPairWithGradientsMatchingFiniteDifferences() {
        assertEquals(Math.log1p(Math.exp(-1)), BradleyTerryObjective.pairLoss(2, 1, 0), 1e-12);   // 0.313262
        assertEquals(Math.log(2), BradleyTerryObjective.pairLoss(1.5, 1, 0.5), 1e-12);
        List<Preference> data = List.of(ranking("What is 3 + 4?", "3 + 4 = 7.", "7", "8"),
                new Preference(0, List.of(ChatMessage.user("Hi")), "Hello!", "Go away", null, Strength.SIGNIFICANTLY_BETTER,
                        null, null, null));
        List<EncodedRanking> rows = new RankingEncoder(chat, 512, RankingEncoder.Pairs.ALL, true,
                EnumSet.allOf(Strength.class)).encode(data);
        try (RewardModel rm = RewardModel.initFrom(base, 4, Device.cpu())) {
            BradleyTerryObjective obj = new BradleyTerryObjective(rm);
            float[] r;
            try (NDManager m = rm.newStepManager()) {
                r = rm.rewards(rows, m).toFloatArray();
            }
            // Pairs (e,c), (e,r), (c,r) with no margin (only chosen>rejected of a graded ranking gets one: BETTER
            // = 2/3), then (c,r) of the second with margin 1 (significantly better).
            double expected = BradleyTerryObjective.pairLoss(r[0], r[1], 0) + BradleyTerryObjective.pairLoss(r[0], r[2], 0)
                    + BradleyTerryObjective.pairLoss(r[1], r[2], 2.0 / 3) + BradleyTerryObjective.pairLoss(r[3], r[4], 1.0);
            rm.requireGradients(true);
            float[] g;
            float[] gHead;
            String name = "model.layers.1.self_attn.v_proj.weight";
            try (NDManager m = rm.newStepManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                var l = obj.loss(rows, m);
                assertEquals(4, l.units());
                assertEquals(expected, l.sum().getFloat(), 1e-4);
                gc.backward(l.sum());
                g = rm.parameters().get(name).getGradient().toFloatArray();
                gHead = rm.parameters().get("score.weight").getGradient().toFloatArray();
            }
            rm.requireGradients(false);
            for (String n : List.of(name, "score.weight")) {
                float[] grad = n.equals(name) ? g : gHead;
                NDArray param = rm.parameters().get(n);
                float[] w = param.toFloatArray();
                int idx = 0;
                for (int i = 1; i < grad.length; i++) {
                    idx = Math.abs(grad[i]) > Math.abs(grad[idx]) ? i : idx;
                }
                float old = w[idx];
                float h = 1e-2f;
                w[idx] = old + h;
                Tensors.copyInto(param, w);
                double plus = lossOf(obj, rows, rm);
                w[idx] = old - h;
                Tensors.copyInto(param, w);
                double minus = lossOf(obj, rows, rm);
                w[idx] = old;
                Tensors.copyInto(param, w);
                double fd = (plus - minus) / (2 * h);
                assertEquals(fd, grad[idx], 0.03 * Math.abs(fd) + 2e-4, n);
            }
        }
    }

    static double lossOf(BradleyTerryObjective obj, List<EncodedRanking> rows, RewardModel rm) {
        try (NDManager m = rm.newStepManager()) {
            return obj.loss(rows, m).sum().getFloat();
        }
    }

    @Test
    void savedModelIsAnHfSequenceClassifierThatLoadsBackWithTheSameRewards() throws Exception {
        Path out = dir.resolve("rm-saved");
        List<EncodedRanking> rows = encoder().encode(List.of(ranking("Q?", null, "A", "B")));
        float[] before;
        try (RewardModel rm = RewardModel.initFrom(base, 5, Device.cpu()); NDManager m = rm.newStepManager()) {
            before = rm.rewards(rows, m).toFloatArray();
            rm.save(out, base);
        }
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(1, config.get("num_labels").asInt());
        try (CheckpointFiles f = CheckpointFiles.open(out)) {
            assertTrue(f.has("score.weight") && f.has("model.embed_tokens.weight"));
            assertFalse(f.has("lm_head.weight"), "a sequence classifier has no LM head");
            assertEquals(List.of(1L, 32L), java.util.Arrays.stream(f.info("score.weight").shape()).boxed().toList());
        }
        try (RewardModel rm = RewardModel.load(out, Device.cpu()); NDManager m = rm.newStepManager()) {
            float[] after = rm.rewards(rows, m).toFloatArray();
            assertEquals(before[0], after[0], 1e-6);
            assertEquals(before[1], after[1], 1e-6);
        }
    }

    @Test
    void rmCommandsTrainScoreAndEvaluate() throws Exception {
        // The better answer is polite, whatever the question: a rule a tiny model learns in a few steps.
        StringBuilder train = new StringBuilder();
        StringBuilder held = new StringBuilder();
        String[] topics = {"cats", "rain", "maps", "tea", "jazz", "bread", "stars", "rivers", "chess", "glass", "wolves", "salt"};
        for (int i = 0; i < topics.length; i++) {
            String line = "{\"prompt\": \"Tell me about " + topics[i] + ".\", \"edited\": \"Gladly! Here is what I know.\", "
                    + "\"chosen\": \"Sure, here it is.\", \"rejected\": \"No.\"}\n";
            (i < 9 ? train : held).append(line);
        }
        Path data = dir.resolve("rank.jsonl");
        Files.writeString(data, train.toString());
        Path heldFile = dir.resolve("rank-held.jsonl");
        Files.writeString(heldFile, held.toString());
        Path out = dir.resolve("rm");
        String[] args = {"train", "--data", data.toString(), "--base", base.toString(), "--out", out.toString(), "--lr", "3e-3",
            "--max-steps", "8", "--batch-size", "3", "--eval-fraction", "0"};
        CliRun run = CliRun.of(new RmCommand(), args);
        assertEquals(0, run.code(), run.err() + run.notes());
        assertTrue(run.notes().contains("9 train / 0 held-out rankings (27 pairs)"), run.notes());
        CliRun eval = CliRun.of(new RmCommand(), "eval", "--rm", out.toString(), "--data", heldFile.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonNode e = new ObjectMapper().readTree(eval.out());
        assertEquals(9, e.get("n").asInt(), "3 rankings x 3 ordered pairs");
        assertEquals(1.0, e.get("pairwise_accuracy").asDouble(), eval.out());
        assertEquals(2, e.get("ci95").size());
        double polite = Double.parseDouble(CliRun.of(new RmCommand(), "score", "--rm", out.toString(), "--prompt",
                "Tell me about owls.", "--response", "Gladly! Here is what I know.").out().trim());
        double curt = Double.parseDouble(CliRun.of(new RmCommand(), "score", "--rm", out.toString(), "--prompt",
                "Tell me about owls.", "--response", "No.").out().trim());
        assertTrue(polite > curt, polite + " vs " + curt);
        // Scoring stored samples: each once, with the polite one ahead.
        Path db = dir.resolve("project.duckdb");
        try (dev.herd.datasets.Store store = dev.herd.datasets.Store.open(db)) {
            dev.herd.datasets.Tables t = new dev.herd.datasets.Tables(store);
            long pid = t.addPrompts(List.of(dev.herd.datasets.PromptRow.text("Tell me about owls.", "test"))).get(0);
            t.addSamples(List.of(new dev.herd.datasets.SampleRow(0, pid, "Gladly! Here is what I know.", "m", 1, null, null, null),
                    new dev.herd.datasets.SampleRow(0, pid, "No.", "m", 1, null, null, null)));
        }
        CliRun scored = CliRun.of(new RmCommand(), "score", "--rm", out.toString(), "--db", db.toString());
        assertEquals(0, scored.code(), scored.err());
        assertTrue(scored.out().contains("scored 2 samples"), scored.out());
        assertTrue(CliRun.of(new RmCommand(), "score", "--rm", out.toString(), "--db", db.toString()).out().contains("scored 0 samples"));
        try (dev.herd.datasets.Store store = dev.herd.datasets.Store.open(db)) {
            var scores = new dev.herd.datasets.Tables(store).scores(null);
            assertEquals(2, scores.size());
            assertEquals(polite, scores.get(0).value(), 1e-4, "the same reward as scoring it alone");
            assertEquals(curt, scores.get(1).value(), 1e-4);
        }
        // Resume: nothing more to do.
        long lines = Files.readAllLines(dir.resolve("rm.ckpt/metrics.jsonl")).size();
        assertEquals(0, CliRun.of(new RmCommand(), args).code());
        assertEquals(lines, Files.readAllLines(dir.resolve("rm.ckpt/metrics.jsonl")).size());
        // A policy checkpoint is not a reward model: one clear line.
        CliRun bad = CliRun.of(new RmCommand(), "score", "--rm", base.toString(), "--prompt", "x", "--response", "y");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("score.weight"), bad.err());
    }

    @Test
    void rmTrainRefusesToResumeFromOtherRankingsOrAnotherBase() throws Exception {
        Path myBase = TestPaths.tinyModel(dir.resolve("rm-base"), 3, 0.05);
        Path data = dir.resolve("rank-resume.jsonl");
        String rankings = "{\"prompt\": \"Tell me about cats.\", \"chosen\": \"Gladly.\", \"rejected\": \"No.\"}\n"
                + "{\"prompt\": \"Tell me about tea.\", \"chosen\": \"Gladly.\", \"rejected\": \"No.\"}\n";
        Files.writeString(data, rankings);
        Path out = dir.resolve("rm-resume");
        String[] args = {"train", "--data", data.toString(), "--base", myBase.toString(), "--out", out.toString(),
            "--max-steps", "1", "--batch-size", "2", "--eval-fraction", "0"};
        assertEquals(0, CliRun.of(new RmCommand(), args).code());
        byte[] model = Files.readAllBytes(out.resolve("model.safetensors"));

        Files.writeString(data, rankings.replace("\"No.\"", "\"Never.\""));
        CliRun otherData = CliRun.of(new RmCommand(), args);
        assertEquals(2, otherData.code(), otherData.out() + otherData.err());
        assertTrue(otherData.err().contains(dir.resolve("rm-resume.ckpt") + ": this run was started from other training data"),
                otherData.err());

        Files.writeString(data, rankings);
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 4, 0.05, Device.cpu())) {
            ModelFolder.save(m, myBase, TestPaths.tokenizer());
        }
        CliRun otherBase = CliRun.of(new RmCommand(), args);
        assertEquals(2, otherBase.code(), otherBase.out() + otherBase.err());
        assertTrue(otherBase.err().contains("this run was started from another base model"), otherBase.err());
        assertArrayEquals(model, Files.readAllBytes(out.resolve("model.safetensors")), "the trained model is left as it was");
    }
}
