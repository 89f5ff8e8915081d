package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.NaiveLlama;
import dev.herd.llama.TestPaths;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalModelTest {

    @TempDir
    static Path tmp;

    static Path tinyModel() {
        Path dir = tmp.resolve("tiny");
        if (!java.nio.file.Files.exists(dir)) {
            LlamaConfig c = LlamaConfig.of(32, 64, 2, 4, 2, 128256, dev.herd.llama.RopeScaling.llama31(), true);
            try (LlamaModel m = LlamaModel.random(c, 5, 0.1, Device.cpu())) {
                ModelFolder.save(m, dir, TestPaths.tokenizer());
            }
        }
        return dir;
    }

    @Test
    void logLikelihoodsMatchTheReferenceDecoder() throws Exception {
        Path dir = tinyModel();
        List<EvalModel.Continuation> reqs = List.of(new EvalModel.Continuation("The capital of France is", " Paris"),
                new EvalModel.Continuation("Question: 2+2?\nAnswer:", " 4, of course."));
        double[] got;
        try (LocalModel m = new LocalModel(dir, "cpu", 8)) {
            got = m.logLikelihoods(reqs);
        }
        Map<String, float[]> w = new HashMap<>();
        LlamaConfig config = LlamaConfig.load(dir);
        try (CheckpointFiles f = CheckpointFiles.open(dir); LlamaTokenizer tok = LlamaTokenizer.load(dir)) {
            for (String n : f.names()) {
                w.put(n, f.readFloats(n));
            }
            NaiveLlama ref = new NaiveLlama(config, w);
            for (int r = 0; r < reqs.size(); r++) {
                int[] ctx = tok.encode(reqs.get(r).context(), true, true);
                int[] cont = tok.encode(reqs.get(r).continuation(), false, true);
                int[] all = new int[ctx.length + cont.length];
                System.arraycopy(ctx, 0, all, 0, ctx.length);
                System.arraycopy(cont, 0, all, ctx.length, cont.length);
                int[] pos = new int[all.length];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = i;
                }
                double[][] logits = ref.logits(all, pos, new int[all.length]);
                double expected = 0;
                for (int t = ctx.length; t < all.length; t++) {
                    double[] row = logits[t - 1];
                    double max = java.util.Arrays.stream(row).max().orElseThrow();
                    double z = 0;
                    for (double v : row) {
                        z += Math.exp(v - max);
                    }
                    expected += row[all[t]] - max - Math.log(z);
                }
                assertEquals(expected, got[r], 1e-3, "request " + r);
            }
        }
    }

    @Test
    void runsMultipleChoiceAndGenerationEndToEnd() {
        Path dir = tinyModel();
        try (LocalModel m = new LocalModel(dir, "cpu", 8)) {
            Evaluator ev = new Evaluator(m, null, 1, 0, 0, new CodeRunner(java.time.Duration.ofSeconds(10), 2048, 1024, true), 1000);
            TaskResult mmlu = ev.run(Tasks.load("mmlu", TestPaths.shared().resolve("benchmarks"), 0), 6);
            assertEquals(6, mmlu.metrics().get("acc").n());
            assertTrue(mmlu.items().stream().allMatch(o -> List.of("A", "B", "C", "D").contains(o.response())));
            TaskResult gsm = ev.run(Tasks.load("gsm8k", TestPaths.shared().resolve("benchmarks"), 0), 2);
            assertEquals(2, gsm.metrics().get("exact_match_strict").n());
        }
    }
}
