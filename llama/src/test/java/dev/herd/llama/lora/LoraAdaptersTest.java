package dev.herd.llama.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.NaiveLlama;
import dev.herd.llama.Tensors;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.train.TrainingLoopTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** LoRA adapters against hand-merged weights in the independent {@link NaiveLlama}, and against finite differences. */
class LoraAdaptersTest {

    static final LlamaConfig CONFIG = LlamaConfig.of(32, 48, 2, 4, 2, 50, null, false);
    static final LoraConfig LORA = new LoraConfig(3, 6.0, 0.0, List.of(LoraTarget.values()));   // scale 2

    static Map<String, float[]> randomWeights(LlamaConfig config, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> w = new HashMap<>();
        for (Map.Entry<String, long[]> e : LlamaModel.expectedTensors(config).entrySet()) {
            float[] v = new float[(int) (e.getValue().length == 1 ? e.getValue()[0] : e.getValue()[0] * e.getValue()[1])];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = norm ? (float) (1 + 0.1 * r.nextGaussian()) : (float) (0.15 * r.nextGaussian());
            }
            w.put(e.getKey(), v);
        }
        return w;
    }

    /** Adapter tensors with both A and B random (a trained adapter, not a fresh one), by PEFT name. */
    static Map<String, float[]> randomAdapters(LlamaConfig config, LoraConfig lora, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                out.put(LoraAdapters.nameA(i, t), gaussian(r, (int) (lora.r() * t.in(config)), 0.1));
                out.put(LoraAdapters.nameB(i, t), gaussian(r, (int) (t.out(config) * lora.r()), 0.1));
            }
        }
        return out;
    }

    static float[] gaussian(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (std * r.nextGaussian());
        }
        return v;
    }

    static LlamaModel model(Map<String, float[]> w) {
        return LlamaModel.fromTensors(CONFIG, (name, shape) -> w.get(name).clone(), Device.cpu());
    }

    /** W + scale·B·A by plain loops in double, for every adapted weight: the merge done by hand. */
    static Map<String, float[]> mergedByHand(Map<String, float[]> w, Map<String, float[]> ad, LoraConfig lora) {
        Map<String, float[]> out = new HashMap<>(w);
        for (int i = 0; i < CONFIG.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                int in = (int) t.in(CONFIG);
                int o = (int) t.out(CONFIG);
                float[] a = ad.get(LoraAdapters.nameA(i, t));     // [r, in]
                float[] b = ad.get(LoraAdapters.nameB(i, t));     // [out, r]
                float[] base = w.get(t.weightName(i));            // [out, in]
                float[] merged = new float[base.length];
                for (int row = 0; row < o; row++) {
                    for (int col = 0; col < in; col++) {
                        double s = 0;
                        for (int k = 0; k < lora.r(); k++) {
                            s += (double) b[row * lora.r() + k] * a[k * in + col];
                        }
                        merged[row * in + col] = (float) (base[row * in + col] + lora.scale() * s);
                    }
                }
                out.put(t.weightName(i), merged);
            }
        }
        return out;
    }

    static int[] ids(long seed, int n) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(CONFIG.vocabSize());
        }
        return ids;
    }

    static double maxDiffToReference(NDArray logits, double[][] expected) {
        float[] got = logits.toFloatArray();
        int v = CONFIG.vocabSize();
        double m = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int j = 0; j < v; j++) {
                m = Math.max(m, Math.abs(got[t * v + j] - expected[t][j]));
            }
        }
        return m;
    }

    @Test
    void adapterForwardAndMergedWeightsBothMatchTheReferenceWithTheDeltaAddedByHand() {
        Map<String, float[]> w = randomWeights(CONFIG, 1);
        Map<String, float[]> ad = randomAdapters(CONFIG, LORA, 2);
        int[] row = ids(3, 11);
        int[] pos = new int[11];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i;
        }
        double[][] expected = new NaiveLlama(CONFIG, mergedByHand(w, ad, LORA)).logits(row, pos, new int[11]);
        double[][] baseOnly = new NaiveLlama(CONFIG, w).logits(row, pos, new int[11]);
        try (LlamaModel model = model(w); NDManager m = model.newStepManager()) {
            LoraAdapters a = LoraAdapters.of(model, LORA, (name, shape) -> ad.get(name));
            model.useAdapters(a);
            NDArray adapted = model.forward(TokenBatch.causal(m, new int[][] {row}));        // [1, 11, vocab]
            assertTrue(maxDiffToReference(adapted, expected) < 1e-4, "adapter forward: " + maxDiffToReference(adapted, expected));
            assertTrue(maxDiffToReference(adapted, baseOnly) > 1e-2, "the adapters change the logits");
            // Disabled: the base alone, as DPO's reference.
            NDArray off = model.withoutAdapters(() -> model.forward(TokenBatch.causal(m, new int[][] {row})));
            assertTrue(maxDiffToReference(off, baseOnly) < 1e-4, "adapters disabled: " + maxDiffToReference(off, baseOnly));
            model.useAdapters(null);
            a.mergeInto(model);
            NDArray merged = model.forward(TokenBatch.causal(m, new int[][] {row}));
            assertTrue(maxDiffToReference(merged, expected) < 1e-4, "merged: " + maxDiffToReference(merged, expected));
        }
    }

    @Test
    void freshAdaptersLeaveTheBaseExactlyAndAreSeededKaimingUniform() {
        Map<String, float[]> w = randomWeights(CONFIG, 4);
        int[][] rows = {ids(5, 9), ids(6, 9)};
        try (LlamaModel model = model(w); NDManager m = model.newStepManager()) {
            float[] base = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
            LoraAdapters a = LoraAdapters.init(model, LORA, 7);
            model.useAdapters(a);
            float[] adapted = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
            assertArrayEquals(base, adapted, "B = 0: the adapted model is the base, bit for bit");

            String qA = LoraAdapters.nameA(1, LoraTarget.Q);
            String downA = LoraAdapters.nameA(0, LoraTarget.DOWN);
            for (String name : List.of(qA, downA)) {
                float[] v = a.parameters().get(name).toFloatArray();
                double bound = 1 / Math.sqrt(name.equals(qA) ? CONFIG.hiddenSize() : CONFIG.intermediateSize());
                double max = 0;
                double sq = 0;
                for (float x : v) {
                    max = Math.max(max, Math.abs(x));
                    sq += x * x;
                }
                assertTrue(max <= bound && max > 0.9 * bound, name + ": U(-1/sqrt(in), 1/sqrt(in)), max " + max + " of " + bound);
                assertEquals(bound * bound / 3, sq / v.length, 0.25 * bound * bound / 3, name + ": variance of a uniform");
            }
            for (String name : a.parameters().keySet()) {
                if (name.endsWith("lora_B.weight")) {
                    for (float x : a.parameters().get(name).toFloatArray()) {
                        assertEquals(0f, x, name);
                    }
                }
            }
            try (LoraAdapters same = LoraAdapters.init(model, LORA, 7); LoraAdapters other = LoraAdapters.init(model, LORA, 8)) {
                assertArrayEquals(a.parameters().get(qA).toFloatArray(), same.parameters().get(qA).toFloatArray(), "same seed");
                assertFalse(java.util.Arrays.equals(a.parameters().get(qA).toFloatArray(),
                        other.parameters().get(qA).toFloatArray()), "another seed");
            }
        }
    }

    @Test
    void adapterGradientsMatchFiniteDifferencesAndTheBaseGetsNone() {
        List<int[]> data = new ArrayList<>();
        Random r = new Random(11);
        for (int i = 0; i < 2; i++) {
            int[] e = new int[7 + i];
            for (int j = 0; j < e.length; j++) {
                e[j] = r.nextInt(CONFIG.vocabSize());
            }
            data.add(e);
        }
        Map<String, float[]> w = randomWeights(CONFIG, 12);
        Map<String, float[]> ad = randomAdapters(CONFIG, LORA, 13);
        try (LlamaModel model = model(w); NDManager m = model.newStepManager()) {
            LoraAdapters a = LoraAdapters.of(model, LORA, (name, shape) -> ad.get(name).clone());
            model.useAdapters(a);
            a.requireGradients(true);
            String[] names = {LoraAdapters.nameA(0, LoraTarget.Q), LoraAdapters.nameB(0, LoraTarget.Q),
                LoraAdapters.nameA(1, LoraTarget.V), LoraAdapters.nameB(0, LoraTarget.O), LoraAdapters.nameA(1, LoraTarget.DOWN),
                LoraAdapters.nameB(1, LoraTarget.GATE), LoraAdapters.nameA(0, LoraTarget.UP)};
            Map<String, Float> analytic = new LinkedHashMap<>();
            List<int[]> probes = new ArrayList<>();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(TrainingLoopTest.nll(model, data, m).sum());
            }
            assertFalse(model.parameters().get("model.layers.0.self_attn.q_proj.weight").hasGradient(),
                    "the frozen base has no gradient");
            for (int n = 0; n < names.length; n++) {
                float[] g = a.parameters().get(names[n]).getGradient().toFloatArray();
                int best = 0;
                for (int i = 1; i < g.length; i++) {
                    if (Math.abs(g[i]) > Math.abs(g[best])) {
                        best = i;
                    }
                }
                probes.add(new int[] {n, best});
                analytic.put(names[n], g[best]);
            }
            a.requireGradients(false);
            double h = 1e-2;
            for (int[] p : probes) {
                NDArray x = a.parameters().get(names[p[0]]);
                float[] values = x.toFloatArray();
                float orig = values[p[1]];
                values[p[1]] = (float) (orig + h);
                Tensors.copyInto(x, values);
                double plus = TrainingLoopTest.nll(model, data, m).sum().getFloat();
                values[p[1]] = (float) (orig - h);
                Tensors.copyInto(x, values);
                double minus = TrainingLoopTest.nll(model, data, m).sum().getFloat();
                values[p[1]] = orig;
                Tensors.copyInto(x, values);
                double numeric = (plus - minus) / (2 * h);
                float got = analytic.get(names[p[0]]);
                assertTrue(Math.abs(numeric) > 1e-3, names[p[0]] + ": a probe with a real gradient");
                assertEquals(numeric, got, 2e-2 * Math.abs(numeric), names[p[0]] + "[" + p[1] + "] (relative 2%)");
            }
        }
    }

    @Test
    void dropoutActsOnlyWhileTraining() {
        Map<String, float[]> w = randomWeights(CONFIG, 21);
        Map<String, float[]> ad = randomAdapters(CONFIG, LORA, 22);
        LoraConfig withDropout = new LoraConfig(3, 6.0, 0.5, List.of(LoraTarget.values()));
        int[][] rows = {ids(23, 8)};
        try (LlamaModel model = model(w); NDManager m = model.newStepManager()) {
            model.useAdapters(LoraAdapters.of(model, LORA, (name, shape) -> ad.get(name)));
            float[] plain = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
            model.useAdapters(LoraAdapters.of(model, withDropout, (name, shape) -> ad.get(name)));
            assertArrayEquals(plain, model.forward(TokenBatch.causal(m, rows)).toFloatArray(), "no dropout outside training");
            float[] training;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                training = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
            }
            assertNotEquals(0.0, maxDiff(plain, training), "dropout while training");
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
