package dev.herd.dpo;

import dev.herd.dpo.cli.DpoCommand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.NaiveLlama;
import dev.herd.llama.TestPaths;
import dev.herd.llama.Tensors;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.cli.CliRun;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoTest {

    static LlamaTokenizer tok;
    static ChatEncoder chat;
    static final LlamaConfig CONFIG = LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true);

    @BeforeAll
    static void load() {
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        chat = ChatEncoder.of(tok);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static LlamaModel tiny(long seed) {
        return LlamaModel.random(CONFIG, seed, 0.05, Device.cpu());
    }

    static Map<String, float[]> weights(LlamaModel model) {
        Map<String, float[]> w = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> w.put(k, v.toFloatArray()));
        return w;
    }

    static PreferencePair pair(String user, String better, String worse) {
        return new PreferencePair(0, List.of(ChatMessage.user(user)), better, worse, PairKind.CHOSEN_REJECTED, null);
    }

    /** log softmax of a row, in double. */
    static double[] logSoftmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    @Test
    void lossMatchesTheFormulaOnHandComputedLogProbs() {
        DpoLoss loss = new DpoLoss(0.1, 0.2);
        // z = 0.1·((−5 − −6) − (−7 − −6.5)) = 0.15;  −log σ(0.15) = log(1 + e^−0.15) = 0.620957;
        // NLL = 0.2 · 5 / 4 = 0.25.
        assertEquals(0.620957 + 0.25, loss.value(-5, -6, -7, -6.5, 4), 1e-6);
        // Without the NLL term and with equal policy and reference, the loss is log 2.
        assertEquals(Math.log(2), new DpoLoss(0.1, 0).value(-3, -3, -9, -9, 7), 1e-12);
        // The tensor form agrees, also where σ saturates (z = ±50).
        double[][] cases = {{-5, -6, -7, -6.5, 4}, {-1, -501, -2, -2, 3}, {-600, -100, -1, -1, 5}, {-12.5, -11, -3, -4.25, 9}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (double[] c : cases) {
                NDArray v = loss.losses(m.create(new float[] {(float) c[0]}), m.create(new float[] {(float) c[1]}),
                        m.create(new float[] {(float) c[2]}), m.create(new float[] {(float) c[3]}), m.create(new float[] {(float) c[4]}));
                double expected = loss.value(c[0], c[1], c[2], c[3], (int) c[4]);
                assertEquals(expected, v.getFloat(0), 1e-4 * Math.max(1, Math.abs(expected)));
            }
        }
    }

    @Test
    void onlyTheResponseContentIsScoredAndItsLogProbMatchesAReferenceDecoder() {
        List<ChatMessage> prompt = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello! How can I help?"), ChatMessage.user("Name a colour."));
        ScoredSequence s = new DpoEncoder(chat, 512).sequence(prompt, "Blue, like the sky.");
        // The scored targets are exactly the response's own tokens: no header, no <|eot_id|>, no earlier turn.
        assertEquals("Blue, like the sky.", tok.decode(s.targets(), false));
        assertArrayEquals(tok.encode("Blue, like the sky.", false, false), s.targets());
        try (LlamaModel model = tiny(1); NDManager m = model.newStepManager()) {
            double[][] logits = new NaiveLlama(CONFIG, weights(model)).logits(s.input(), range(s.length()), new int[s.length()]);
            // Independently: the response tokens sit right before the final <|eot_id|> of the rendered chat.
            int[] response = tok.encode("Blue, like the sky.", false, false);
            int[] full = chat.encode(withAnswer(prompt, "Blue, like the sky."), false).ids();
            int eot = tok.tokenId("<|eot_id|>").orElseThrow();
            assertEquals(eot, full[full.length - 1]);
            double expected = 0;
            for (int j = 0; j < response.length; j++) {
                int at = full.length - 1 - response.length + j;          // index of the response token in full
                assertEquals(response[j], full[at]);
                expected += logSoftmax(logits[at - 1])[response[j]];
            }
            NDArray got = DpoObjective.sequenceLogProbs(model, List.of(s, s), m);
            assertEquals(expected, got.getFloat(0), 1e-3);
            assertEquals(expected, got.getFloat(1), 1e-3);
        }
    }

    static List<ChatMessage> withAnswer(List<ChatMessage> prompt, String answer) {
        List<ChatMessage> out = new ArrayList<>(prompt);
        out.add(ChatMessage.assistant(answer));
        return out;
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** The pair's loss from full per-position logits, summing log-probs at the sequence's scored positions. */
    static double lossFromLogits(DpoLoss loss, ScoredSequence c, double[][] lc, ScoredSequence r, double[][] lr,
                                 double refC, double refR) {
        return loss.value(scored(c, lc), refC, scored(r, lr), refR, c.scoredTokens());
    }

    static double scored(ScoredSequence s, double[][] logits) {
        double sum = 0;
        for (int i = 0; i < s.scoredTokens(); i++) {
            sum += logSoftmax(logits[s.positions()[i]])[s.targets()[i]];
        }
        return sum;
    }

    @Test
    void changingAFormattingTokensLogitLeavesTheLossUnchanged() {
        PreferencePair p = pair("What is 2 + 2?", "4", "5, I think");
        DpoEncoder enc = new DpoEncoder(chat, 512);
        ScoredSequence c = enc.sequence(p.prompt(), p.better());
        ScoredSequence r = enc.sequence(p.prompt(), p.worse());
        int[] fc = chat.encode(withAnswer(p.prompt(), p.better()), false).ids();
        int[] fr = chat.encode(withAnswer(p.prompt(), p.worse()), false).ids();
        // Llama 3's formatting, read off the tokens themselves rather than the encoder's own flags: special tokens,
        // the role name between <|start_header_id|> and <|end_header_id|>, and the "\n\n" that ends a header.
        boolean[] formatC = formattingOf(fc);
        boolean[] formatR = formattingOf(fr);
        DpoLoss loss = new DpoLoss(0.1, 0.2);
        try (LlamaModel model = tiny(2)) {
            NaiveLlama ref = new NaiveLlama(CONFIG, weights(model));
            double[][] lc = ref.logits(c.input(), range(c.length()), new int[c.length()]);
            double[][] lr = ref.logits(r.input(), range(r.length()), new int[r.length()]);
            double base = lossFromLogits(loss, c, lc, r, lr, -20, -25);
            // Raise the logit of every formatting target (the assistant header, the final <|eot_id|>) in both.
            int touched = 0;
            for (int j = 1; j < fc.length; j++) {
                if (formatC[j]) {
                    lc[j - 1][fc[j]] += 3.0;
                    touched++;
                }
            }
            for (int j = 1; j < fr.length; j++) {
                if (formatR[j]) {
                    lr[j - 1][fr[j]] += 3.0;
                }
            }
            assertTrue(touched >= 5, "header and end-of-turn tokens are formatting");
            assertEquals(base, lossFromLogits(loss, c, lc, r, lr, -20, -25), 1e-12);
            // A response token's logit does move it: the mask is not empty.
            lc[c.positions()[0]][c.targets()[0]] += 3.0;
            assertNotEquals(base, lossFromLogits(loss, c, lc, r, lr, -20, -25), 1e-3);
        }
    }

    static boolean[] formattingOf(int[] ids) {
        int start = tok.tokenId("<|start_header_id|>").getAsInt();
        int end = tok.tokenId("<|end_header_id|>").getAsInt();
        boolean[] f = new boolean[ids.length];
        boolean inHeader = false;
        for (int j = 0; j < ids.length; j++) {
            String text = tok.decode(new int[] {ids[j]}, false);
            boolean special = text.startsWith("<|") && text.endsWith("|>");
            boolean afterHeader = j > 0 && ids[j - 1] == end && text.equals("\n\n");
            f[j] = special || inHeader || afterHeader;
            if (ids[j] == start) {
                inHeader = true;
            } else if (ids[j] == end) {
                inHeader = false;
            }
        }
        return f;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        DpoEncoder enc = new DpoEncoder(chat, 512);
        List<DpoExample> batch = enc.encode(List.of(pair("What is 2 + 2?", "4", "5"), pair("Say hi.", "Hi there!", "No.")));
        batch = List.of(batch.get(0).withReference(-21.0, -20.5), batch.get(1).withReference(-60.0, -18.0));
        String[] names = {"model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight",
            "model.embed_tokens.weight"};
        try (LlamaModel model = tiny(3)) {
            DpoObjective obj = new DpoObjective(model, new DpoLoss(0.1, 0.2));
            model.requireGradients(true);
            Map<String, float[]> grads = new LinkedHashMap<>();
            try (NDManager m = model.newStepManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = obj.loss(batch, m).sum();
                gc.backward(l);
                for (String n : names) {
                    grads.put(n, model.parameters().get(n).getGradient().toFloatArray());
                }
            }
            model.requireGradients(false);
            int checked = 0;
            for (String n : names) {
                float[] g = grads.get(n);
                NDArray param = model.parameters().get(n);
                float[] w = param.toFloatArray();
                // The three entries with the largest gradient: where a wrong gradient would show.
                for (int idx : topAbs(g, 3)) {
                    float h = 1e-2f;
                    float old = w[idx];
                    w[idx] = old + h;
                    Tensors.copyInto(param, w);
                    double plus = lossOf(obj, batch, model);
                    w[idx] = old - h;
                    Tensors.copyInto(param, w);
                    double minus = lossOf(obj, batch, model);
                    w[idx] = old;
                    Tensors.copyInto(param, w);
                    double fd = (plus - minus) / (2 * h);
                    assertEquals(fd, g[idx], 0.03 * Math.abs(fd) + 2e-4, n + "[" + idx + "]");
                    checked++;
                }
            }
            assertEquals(12, checked);
        }
    }

    static double lossOf(DpoObjective obj, List<DpoExample> batch, LlamaModel model) {
        try (NDManager m = model.newStepManager()) {
            return obj.loss(batch, m).sum().getFloat();
        }
    }

    static int[] topAbs(float[] g, int k) {
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int i = 0; i < g.length; i++) {
            for (int j = 0; j < k; j++) {
                if (best[j] < 0 || Math.abs(g[i]) > Math.abs(g[best[j]])) {
                    System.arraycopy(best, j, best, j + 1, k - j - 1);
                    best[j] = i;
                    break;
                }
            }
        }
        return best;
    }

    @Test
    void rankingsExpandIntoTheSelectedPairsAndWeakRankingsAreDropped() {
        List<ChatMessage> q = List.of(ChatMessage.user("q"));
        List<Preference> rankings = List.of(
                new Preference(1, q, "good", "bad", "best", Strength.SIGNIFICANTLY_BETTER, null, null, null),
                new Preference(2, q, "ok", "meh", null, Strength.SLIGHTLY_BETTER, null, null, null),
                new Preference(3, q, "yes", "no", null, null, null, null, null));
        List<PreferencePair> all = RankedPairs.expand(rankings, PairKind.all(), DpoConfig.defaults().strengths());
        assertEquals(List.of("best>good", "best>bad", "good>bad", "yes>no"),
                all.stream().map(p -> p.better() + ">" + p.worse()).toList());
        List<PreferencePair> some = RankedPairs.expand(rankings, EnumSet.of(PairKind.EDITED_REJECTED, PairKind.CHOSEN_REJECTED),
                EnumSet.allOf(Strength.class));
        assertEquals(List.of("best>bad", "good>bad", "ok>meh", "yes>no"),
                some.stream().map(p -> p.better() + ">" + p.worse()).toList());
        DpoConfig s = DpoConfig.from(new ObjectMapper().createObjectNode()
                .put("beta", 0.5).<com.fasterxml.jackson.databind.node.ObjectNode>set("pairs",
                        new ObjectMapper().createArrayNode().add("chosen>rejected")), "dpo.json");
        assertEquals(0.5, s.beta());
        assertEquals(EnumSet.of(PairKind.CHOSEN_REJECTED), s.pairs());
    }

    @Test
    void referenceLogProbsAreCachedAndRecomputedWhenTheCheckpointChanges(@TempDir Path tmp) throws Exception {
        Path refDir = tmp.resolve("ref");
        try (LlamaModel model = tiny(4)) {
            ModelFolder.save(model, refDir, TestPaths.tokenizer());
        }
        List<DpoExample> ex = new DpoEncoder(chat, 512).encode(List.of(pair("Say hi.", "Hi!", "Go away.")));
        Path cache = tmp.resolve("cache.json");
        DpoExample first = ReferenceLogProbs.attach(refDir, ex, cache, 4, Device.cpu()).get(0);
        double expected;
        try (LlamaModel model = ModelFolder.load(refDir, Device.cpu()); NDManager m = model.newStepManager()) {
            expected = DpoObjective.sequenceLogProbs(model, List.of(ex.get(0).chosen()), m).getFloat(0);
        }
        assertEquals(expected, first.refChosen(), 1e-5);
        // A second run reads the cache: plant a value there and it comes back.
        String planted = Files.readString(cache).replace(String.valueOf(first.refChosen()), "-123.5");
        Files.writeString(cache, planted);
        assertEquals(-123.5, ReferenceLogProbs.attach(refDir, ex, cache, 4, Device.cpu()).get(0).refChosen());
        // A different reference checkpoint in the same folder: recomputed, not read.
        try (LlamaModel model = tiny(5)) {
            ModelFolder.save(model, refDir, TestPaths.tokenizer());
        }
        double recomputed = ReferenceLogProbs.attach(refDir, ex, cache, 4, Device.cpu()).get(0).refChosen();
        assertNotEquals(-123.5, recomputed);
        assertNotEquals(first.refChosen(), recomputed, 1e-4);
    }

    @Test
    void dpoCommandRaisesHeldOutRewardAccuracyResumesAndEvaluates(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = tiny(6)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        // Synthetic preferences: a polite answer beats a curt one, whatever the question.
        StringBuilder train = new StringBuilder();
        StringBuilder held = new StringBuilder();
        String[] topics = {"cats", "rain", "maps", "tea", "jazz", "bread", "stars", "rivers", "chess", "glass", "wolves", "salt"};
        for (int i = 0; i < topics.length; i++) {
            String line = "{\"prompt\": \"Tell me about " + topics[i] + ".\", \"chosen\": \"Gladly, here is what I know.\", "
                    + "\"rejected\": \"No.\"" + (i >= 9 ? ", \"split\": \"test\"" : "") + "}\n";
            (i >= 9 ? held : train).append(line);
        }
        Path data = tmp.resolve("prefs.jsonl");
        Files.writeString(data, train.toString() + held);
        Path heldFile = tmp.resolve("held.jsonl");
        Files.writeString(heldFile, held.toString());
        CliRun before = CliRun.of(new DpoCommand(), "eval", "--policy", base.toString(), "--ref", base.toString(),
                "--data", heldFile.toString(), "--json");
        assertEquals(0, before.code(), before.err());
        JsonNode b = new ObjectMapper().readTree(before.out());
        assertEquals(0.0, b.get("reward_accuracy").asDouble(), "policy = reference: every margin is 0, none is won");
        assertEquals(3, b.get("n").asInt());

        Path out = tmp.resolve("out");
        String[] args = {"--policy", base.toString(), "--ref", base.toString(), "--data", data.toString(), "--out",
            out.toString(), "--lr", "3e-3", "--max-steps", "6", "--batch-size", "3", "--max-seq-len", "128"};
        CliRun run = CliRun.of(new DpoCommand(), args);
        assertEquals(0, run.code(), run.err());
        assertTrue(run.notes().contains("9 train / 3 held-out pairs"), run.notes());
        assertTrue(Files.exists(out.resolve("train_metrics.jsonl")) && Files.exists(tmp.resolve("out.ckpt/reference-logps.json")));
        CliRun after = CliRun.of(new DpoCommand(), "eval", "--policy", out.toString(), "--ref", base.toString(),
                "--data", heldFile.toString(), "--json");
        JsonNode a = new ObjectMapper().readTree(after.out());
        assertEquals(1.0, a.get("reward_accuracy").asDouble(), after.out());
        assertTrue(a.get("mean_margin").asDouble() > 0);
        assertTrue(a.get("chosen_logp").asDouble() > b.get("chosen_logp").asDouble(), "the chosen answer became likelier");
        assertEquals(2, a.get("ci95").size());
        // Re-running the same command finds the finished run and trains no further.
        long lines = Files.readAllLines(tmp.resolve("out.ckpt/metrics.jsonl")).size();
        assertEquals(0, CliRun.of(new DpoCommand(), args).code());
        assertEquals(lines, Files.readAllLines(tmp.resolve("out.ckpt/metrics.jsonl")).size());
        // Bad input: one line naming the file and line, exit 2.
        Files.writeString(data, "{\"prompt\": \"x\", \"chosen\": \"y\"}\n");
        CliRun bad = CliRun.of(new DpoCommand(), args);
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("prefs.jsonl:1"), bad.err());
    }

    @Test
    void dpoRefusesToResumeAgainstAnotherReferenceModel(@TempDir Path tmp) throws Exception {
        Path policy = tmp.resolve("policy");
        Path ref = tmp.resolve("ref");
        try (LlamaModel model = tiny(6)) {
            ModelFolder.save(model, policy, TestPaths.tokenizer());
            ModelFolder.save(model, ref, TestPaths.tokenizer());
        }
        Path data = tmp.resolve("prefs.jsonl");
        Files.writeString(data, "{\"prompt\": \"Tell me about tea.\", \"chosen\": \"Gladly.\", \"rejected\": \"No.\"}\n"
                + "{\"prompt\": \"Tell me about cats.\", \"chosen\": \"Gladly.\", \"rejected\": \"No.\"}\n");
        Path out = tmp.resolve("out");
        String[] args = {"--policy", policy.toString(), "--ref", ref.toString(), "--data", data.toString(), "--out",
            out.toString(), "--max-steps", "1", "--batch-size", "2", "--max-seq-len", "128", "--eval-fraction", "0"};
        assertEquals(0, CliRun.of(new DpoCommand(), args).code());
        byte[] model = Files.readAllBytes(out.resolve("model.safetensors"));

        try (LlamaModel other = tiny(7)) {
            ModelFolder.save(other, ref, TestPaths.tokenizer());
        }
        CliRun otherRef = CliRun.of(new DpoCommand(), args);
        assertEquals(2, otherRef.code(), otherRef.out() + otherRef.err());
        assertTrue(otherRef.err().contains(tmp.resolve("out.ckpt") + ": this run was started from another reference model ("
                + ref.toAbsolutePath()), otherRef.err());
        assertArrayEquals(model, Files.readAllBytes(out.resolve("model.safetensors")));
        // A changed DPO setting is named too.
        try (LlamaModel same = tiny(6)) {
            ModelFolder.save(same, ref, TestPaths.tokenizer());
        }
        String[] beta = java.util.Arrays.copyOf(args, args.length + 2);
        beta[args.length] = "--beta";
        beta[args.length + 1] = "0.5";
        CliRun otherBeta = CliRun.of(new DpoCommand(), beta);
        assertEquals(2, otherBeta.code(), otherBeta.out() + otherBeta.err());
        assertTrue(otherBeta.err().contains("this run was started with --beta 0.1, not 0.5"), otherBeta.err());
        assertEquals(0, CliRun.of(new DpoCommand(), args).code(), "the same inputs resume");
    }
}
