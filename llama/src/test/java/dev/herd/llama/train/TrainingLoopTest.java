package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

public class TrainingLoopTest {

    static final LlamaConfig CONFIG = LlamaConfig.of(32, 64, 2, 4, 2, 40, null, false);

    /** Next-token NLL summed over each example's real tokens (examples differ in length). */
    public static StepLoss nll(LlamaModel model, List<int[]> examples, NDManager m) {
        List<int[]> inputs = new ArrayList<>();
        int longest = examples.stream().mapToInt(e -> e.length - 1).max().orElse(0);
        long[] targets = new long[examples.size() * longest];
        float[] mask = new float[targets.length];
        long units = 0;
        for (int i = 0; i < examples.size(); i++) {
            int[] e = examples.get(i);
            inputs.add(java.util.Arrays.copyOf(e, e.length - 1));
            for (int j = 0; j < e.length - 1; j++) {
                targets[i * longest + j] = e[j + 1];
                mask[i * longest + j] = 1;
                units++;
            }
        }
        TokenBatch batch = TokenBatch.padded(m, inputs, false, 0);
        NDArray lp = model.tokenLogProbs(model.hiddenStates(batch, KvCache.NONE),
                m.create(targets).reshape(examples.size(), longest));
        NDArray sum = lp.mul(m.create(mask).reshape(examples.size(), longest)).sum().neg();
        return new StepLoss(sum, units, units);
    }

    static List<int[]> data(int n, long seed) {
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] e = new int[3 + r.nextInt(8)];
            for (int j = 0; j < e.length; j++) {
                e[j] = r.nextInt(40);
            }
            out.add(e);
        }
        return out;
    }

    static Map<String, float[]> snapshot(LlamaModel model) {
        Map<String, float[]> s = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> s.put(k, v.toFloatArray()));
        return s;
    }

    static Map<String, float[]> trainOnce(int batch, int accum, List<int[]> data) {
        return trainOnce(batch, accum, data, Integer.MAX_VALUE);
    }

    static Map<String, float[]> trainOnce(int batch, int accum, List<int[]> data, int perForward) {
        // eps = 1 makes Adam's first update ≈ lr·g, linear in the gradient: a mis-scaled average shows up
        // (with the usual 1e-8 the first step is ≈ lr·sign(g) and hides the scale).
        TrainingConfig c = new TrainingConfig(1.0, 1, 1, batch, accum, 0, 0.0, 64, 7, "constant", 0, 0, 0.9,
                0.999, 1.0, 0, 1);
        try (LlamaModel model = LlamaModel.random(CONFIG, 3, 0.05, Device.cpu())) {
            model.requireGradients(true);
            NDManager m = model.newStepManager();
            new TrainingLoop<>(c, m, model.parameters(), data, (ex, step) -> nll(model, ex, step)).examplesPerForward(perForward).run();
            return snapshot(model);
        }
    }

    @Test
    void accumulationGivesTheSameUpdateAsOneBigBatch() {
        List<int[]> data = data(4, 11);
        Map<String, float[]> big = trainOnce(4, 1, data);
        Map<String, float[]> accumulated = trainOnce(1, 4, data);
        Map<String, float[]> halves = trainOnce(2, 2, data);
        for (String name : big.keySet()) {
            float[] a = big.get(name);
            float[] b = accumulated.get(name);
            float[] h = halves.get(name);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-6, name + "[" + i + "] 1x4 vs 4x1");
                assertEquals(a[i], h[i], 1e-6, name + "[" + i + "] 1x4 vs 2x2");
            }
        }
        // ... and the step did change the weights.
        try (LlamaModel fresh = LlamaModel.random(CONFIG, 3, 0.05, Device.cpu())) {
            float[] before = fresh.parameters().get("model.layers.0.self_attn.q_proj.weight").toFloatArray();
            assertTrue(Math.abs(before[0] - big.get("model.layers.0.self_attn.q_proj.weight")[0]) > 1e-4);
        }
    }

    @Test
    void aBatchRunAsSeveralForwardsByTheMemoryPlanGivesTheSameUpdate() {
        List<int[]> data = data(4, 11);
        Map<String, float[]> whole = trainOnce(4, 1, data);
        Map<String, float[]> split = trainOnce(4, 1, data, 1);      // four forwards of one example each
        for (String name : whole.keySet()) {
            float[] a = whole.get(name);
            float[] b = split.get(name);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-6, name + "[" + i + "]");
            }
        }
    }

    @Test
    void resumeAfterACrashFinishesExactlyLikeAnUninterruptedRun(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        List<int[]> data = data(12, 3);
        TrainingConfig c = new TrainingConfig(1e-2, 2, 0, 2, 2, 1, 0.1, 64, 5, "cosine", 0.1, 1.0, 0.9, 0.999, 1e-8, 2, 1);
        // 12 examples, 4 per step → 3 steps per epoch, 6 in all; checkpoints every 2 steps.
        Map<String, float[]> straight;
        try (LlamaModel model = LlamaModel.random(CONFIG, 4, 0.05, Device.cpu())) {
            model.requireGradients(true);
            new TrainingLoop<>(c, model.newStepManager(), model.parameters(), data, (ex, step) -> nll(model, ex, step))
                    .checkpointing(new DirectoryCheckpointing(dir.resolve("a"), c, 2)).run();
            straight = snapshot(model);
        }
        try (LlamaModel model = LlamaModel.random(CONFIG, 4, 0.05, Device.cpu())) {
            model.requireGradients(true);
            new TrainingLoop<>(c, model.newStepManager(), model.parameters(), data, (ex, step) -> nll(model, ex, step)).run();
            Map<String, float[]> again = snapshot(model);
            for (String name : straight.keySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(straight.get(name), again.get(name), "a second uninterrupted run: " + name);
            }
        }
        int[] calls = {0};
        try (LlamaModel model = LlamaModel.random(CONFIG, 4, 0.05, Device.cpu())) {
            model.requireGradients(true);
            TrainingLoop<int[]> loop = new TrainingLoop<>(c, model.newStepManager(), model.parameters(), data, (ex, step) -> {
                if (++calls[0] > 10) {                 // dies in the middle of step 6, after checkpoint 4
                    throw new IllegalStateException("simulated crash");
                }
                return nll(model, ex, step);
            }).checkpointing(new DirectoryCheckpointing(dir.resolve("b"), c, 2));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, loop::run);
        }
        assertTrue(java.nio.file.Files.exists(dir.resolve("b/step-00000004/state.json")));
        Map<String, float[]> resumed;
        try (LlamaModel model = LlamaModel.random(CONFIG, 4, 0.05, Device.cpu())) {   // a fresh process would start here
            model.requireGradients(true);
            int[] steps = {0};
            new TrainingLoop<>(c, model.newStepManager(), model.parameters(), data, (ex, step) -> {
                steps[0]++;
                return nll(model, ex, step);
            }).checkpointing(new DirectoryCheckpointing(dir.resolve("b"), c, 2)).run();
            assertEquals(4, steps[0], "only steps 5 and 6 (2 micro-batches each) are redone");
            resumed = snapshot(model);
        }
        for (String name : straight.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(straight.get(name), resumed.get(name), name);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        List<int[]> data = data(2, 5);
        try (LlamaModel model = LlamaModel.random(CONFIG, 9, 0.3, Device.cpu()); NDManager m = model.newStepManager()) {
            model.requireGradients(true);
            String[] names = {"model.embed_tokens.weight", "model.layers.1.self_attn.k_proj.weight",
                "model.layers.0.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight"};
            Map<String, Float> analytic = new LinkedHashMap<>();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = nll(model, data, m).sum();
                // Collect garbage and churn direct buffers between forward and backward: a scalar that DJL kept
                // only in a Java buffer (x.mul(0.5f)) would now be freed and overwritten, and the gradient wrong.
                for (int i = 0; i < 3; i++) {
                    System.gc();
                    java.nio.ByteBuffer.allocateDirect(1 << 20).asFloatBuffer().put(0, Float.MAX_VALUE);
                }
                gc.backward(loss);
            }
            // The largest-gradient entries of each tensor: where a wrong gradient shows, and where a relative
            // tolerance means something (a random entry's gradient is often ~0, which any bug passes).
            List<int[]> probes = new ArrayList<>();
            for (int n = 0; n < names.length; n++) {
                float[] g = model.parameters().get(names[n]).getGradient().toFloatArray();
                Integer[] order = new Integer[g.length];
                for (int i = 0; i < g.length; i++) {
                    order[i] = i;
                }
                java.util.Arrays.sort(order, (a, b) -> Float.compare(Math.abs(g[b]), Math.abs(g[a])));
                for (int k = 0; k < 2; k++) {
                    probes.add(new int[] {n, order[k]});
                    analytic.put(names[n] + "[" + order[k] + "]", g[order[k]]);
                }
            }
            model.requireGradients(false);
            double h = 1e-2;
            for (int[] p : probes) {
                NDArray w = model.parameters().get(names[p[0]]);
                float[] values = w.toFloatArray();
                float orig = values[p[1]];
                values[p[1]] = (float) (orig + h);
                dev.herd.llama.Tensors.copyInto(w, values);
                double plus = nll(model, data, m).sum().getFloat();
                values[p[1]] = (float) (orig - h);
                dev.herd.llama.Tensors.copyInto(w, values);
                double minus = nll(model, data, m).sum().getFloat();
                values[p[1]] = orig;
                dev.herd.llama.Tensors.copyInto(w, values);
                double numeric = (plus - minus) / (2 * h);
                float got = analytic.get(names[p[0]] + "[" + p[1] + "]");
                assertTrue(Math.abs(numeric) > 1e-3, names[p[0]] + ": a probe with a real gradient");
                assertEquals(numeric, got, 2e-2 * Math.abs(numeric), names[p[0]] + "[" + p[1] + "] (relative 2%)");
            }
        }
    }
}
