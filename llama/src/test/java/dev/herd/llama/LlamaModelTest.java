package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The decoder against {@link NaiveLlama}, an independent double-precision implementation. */
class LlamaModelTest {

    static final double TOL = 1e-4;

    /** Random weights with enough spread that attention is peaked and positions change the result. */
    static Map<String, float[]> randomWeights(LlamaConfig config, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> w = new HashMap<>();
        for (Map.Entry<String, long[]> e : LlamaModel.expectedTensors(config).entrySet()) {
            long n = 1;
            for (long s : e.getValue()) {
                n *= s;
            }
            float[] v = new float[(int) n];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = norm ? (float) (1 + 0.1 * r.nextGaussian()) : (float) (0.15 * r.nextGaussian());
            }
            w.put(e.getKey(), v);
        }
        return w;
    }

    static LlamaModel model(LlamaConfig config, Map<String, float[]> w) {
        return LlamaModel.fromTensors(config, (name, shape) -> w.get(name), Device.cpu());
    }

    static int[] randomIds(Random r, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return ids;
    }

    static int[] range(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    static float[][] rows(NDArray logits3d, int row) {
        long t = logits3d.getShape().get(1);
        long v = logits3d.getShape().get(2);
        float[] flat = logits3d.get(row).toFloatArray();
        float[][] out = new float[(int) t][(int) v];
        for (int i = 0; i < t; i++) {
            System.arraycopy(flat, (int) (i * v), out[i], 0, (int) v);
        }
        return out;
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double maxDiff(float[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void gqaUntiedMatchesReference() {
        LlamaConfig config = LlamaConfig.of(32, 48, 2, 4, 2, 50, null, false);
        Map<String, float[]> w = randomWeights(config, 1);
        Random r = new Random(2);
        int[][] ids = {randomIds(r, 13, 50), randomIds(r, 13, 50)};
        NaiveLlama ref = new NaiveLlama(config, w);
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            NDArray logits = model.forward(TokenBatch.causal(m, ids));
            assertEquals(List.of(2L, 13L, 50L), List.of(logits.getShape().get(0), logits.getShape().get(1), logits.getShape().get(2)));
            for (int b = 0; b < 2; b++) {
                double[][] expected = ref.logits(ids[b], range(13), new int[13]);
                float[][] got = rows(logits, b);
                for (int t = 0; t < 13; t++) {
                    assertTrue(maxDiff(got[t], expected[t]) < TOL, "row " + b + " pos " + t + ": " + maxDiff(got[t], expected[t]));
                }
            }
        }
    }

    @Test
    void tiedLlama3ScalingOverLongSequenceMatchesReference() {
        LlamaConfig config = new LlamaConfig(32, 48, 2, 4, 1, 8, 1e-5, 500000.0, RopeScaling.llama31(),
                131072, 40, true, 0, List.of(1));
        int n = 2100;
        Map<String, float[]> w = randomWeights(config, 3);
        int[] ids = randomIds(new Random(4), n, 40);
        double[][] expected = new NaiveLlama(config, w).logits(ids, range(n), new int[n]);
        float[][] got;
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            got = rows(model.forward(TokenBatch.causal(m, new int[][] {ids})), 0);
        }
        double worst = 0;
        for (int t = 0; t < n; t++) {
            worst = Math.max(worst, maxDiff(got[t], expected[t]));
        }
        assertTrue(worst < TOL, "max abs diff " + worst);

        // The scaling must matter here, or this test would pass with it ignored.
        LlamaConfig unscaled = new LlamaConfig(32, 48, 2, 4, 1, 8, 1e-5, 500000.0, null, 131072, 40, true, 0, List.of(1));
        double[][] plain = new NaiveLlama(unscaled, w).logits(ids, range(n), new int[n]);
        double change = 0;
        for (int t = 2048; t < n; t++) {
            for (int v = 0; v < 40; v++) {
                change = Math.max(change, Math.abs(plain[t][v] - expected[t][v]));
            }
        }
        assertTrue(change > 100 * TOL, "llama3 scaling changes logits by only " + change);
    }

    @Test
    void ropeFrequenciesMatchReference() {
        LlamaConfig config = new LlamaConfig(2048, 64, 1, 16, 4, 128, 1e-5, 500000.0, RopeScaling.llama31(),
                131072, 10, true, 0, List.of(1));
        float[] got = Rope.inverseFrequencies(128, 500000.0, RopeScaling.llama31());
        double[] expected = NaiveLlama.inverseFrequencies(config);
        int scaled = 0;
        double[] unscaled = NaiveLlama.inverseFrequencies(new LlamaConfig(2048, 64, 1, 16, 4, 128, 1e-5, 500000.0,
                null, 131072, 10, true, 0, List.of(1)));
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], Math.abs(expected[i]) * 1e-6, "inv_freq[" + i + "]");
            if (Math.abs(unscaled[i] - expected[i]) > 1e-12) {
                scaled++;
            }
        }
        // Llama 3.1 8B: the lowest frequencies are divided by 8, a middle band interpolated.
        assertTrue(scaled > 10 && scaled < 64, "scaled frequencies: " + scaled);
    }

    @Test
    void paddingOnEitherSideMatchesUnpaddedRows() {
        LlamaConfig config = LlamaConfig.of(32, 48, 2, 4, 2, 50, RopeScaling.llama31(), true);
        Map<String, float[]> w = randomWeights(config, 5);
        Random r = new Random(6);
        List<int[]> rows = List.of(randomIds(r, 9, 50), randomIds(r, 4, 50), randomIds(r, 7, 50));
        NaiveLlama ref = new NaiveLlama(config, w);
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            for (boolean left : new boolean[] {true, false}) {
                NDArray logits = model.forward(TokenBatch.padded(m, rows, left, 0));
                for (int b = 0; b < rows.size(); b++) {
                    int[] ids = rows.get(b);
                    int offset = left ? 9 - ids.length : 0;
                    double[][] expected = ref.logits(ids, range(ids.length), new int[ids.length]);
                    float[][] got = rows(logits, b);
                    for (int t = 0; t < ids.length; t++) {
                        double diff = maxDiff(got[offset + t], expected[t]);
                        assertTrue(diff < TOL, (left ? "left" : "right") + " row " + b + " pos " + t + ": " + diff);
                    }
                }
            }
        }
    }

    @Test
    void packedRowsMatchSeparateExamples() {
        LlamaConfig config = LlamaConfig.of(32, 48, 2, 4, 2, 50, null, false);
        Map<String, float[]> w = randomWeights(config, 7);
        Random r = new Random(8);
        List<int[]> examples = List.of(randomIds(r, 5, 50), randomIds(r, 8, 50), randomIds(r, 3, 50));
        NaiveLlama ref = new NaiveLlama(config, w);
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            NDArray logits = model.forward(TokenBatch.packed(m, List.of(examples), 20, 0));
            float[][] got = rows(logits, 0);
            int at = 0;
            for (int[] ex : examples) {
                double[][] expected = ref.logits(ex, range(ex.length), new int[ex.length]);
                for (int t = 0; t < ex.length; t++) {
                    double diff = maxDiff(got[at + t], expected[t]);
                    assertTrue(diff < TOL, "example at " + at + " pos " + t + ": " + diff);
                }
                at += ex.length;
            }
        }
    }

    @Test
    void kvCacheDecodingMatchesFullForward() {
        LlamaConfig config = LlamaConfig.of(32, 48, 3, 4, 2, 50, RopeScaling.llama31(), false);
        Map<String, float[]> w = randomWeights(config, 9);
        Random r = new Random(10);
        List<int[]> prompts = List.of(randomIds(r, 6, 50), randomIds(r, 3, 50));
        int steps = 5;
        int[][] continuation = {randomIds(r, steps, 50), randomIds(r, steps, 50)};
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager();
             DenseKvCache cache = new DenseKvCache(m, config, 2, 6 + steps)) {
            List<float[]> decoded = new ArrayList<>();
            NDArray prefill = model.forward(TokenBatch.padded(m, prompts, true, 0), cache);
            decoded.add(prefill.get(":, -1, :").toFloatArray());
            for (int s = 0; s < steps - 1; s++) {
                long[] ids = {continuation[0][s], continuation[1][s]};
                long[] pos = {6 + s, 3 + s};
                NDArray step = model.forward(TokenBatch.of(m, 2, 1, ids, pos, new int[2]), cache);
                decoded.add(step.get(":, -1, :").toFloatArray());
            }
            // Full recompute of each row's whole sequence, unpadded.
            for (int b = 0; b < 2; b++) {
                int[] prompt = prompts.get(b);
                int[] all = new int[prompt.length + steps - 1];
                System.arraycopy(prompt, 0, all, 0, prompt.length);
                System.arraycopy(continuation[b], 0, all, prompt.length, steps - 1);
                float[][] full = rows(model.forward(TokenBatch.causal(m, new int[][] {all})), 0);
                for (int s = 0; s < steps; s++) {
                    float[] got = new float[50];
                    System.arraycopy(decoded.get(s), b * 50, got, 0, 50);
                    double[] expected = new double[50];
                    for (int v = 0; v < 50; v++) {
                        expected[v] = full[prompt.length - 1 + s][v];
                    }
                    assertTrue(maxDiff(got, expected) < TOL, "row " + b + " step " + s + ": " + maxDiff(got, expected));
                }
            }
        }
    }

    @Test
    void tokenLogProbsAreLogSoftmaxOfReference() {
        LlamaConfig config = LlamaConfig.of(32, 48, 1, 4, 4, 50, null, true);
        Map<String, float[]> w = randomWeights(config, 11);
        int[] ids = randomIds(new Random(12), 10, 50);
        int[] targets = randomIds(new Random(13), 10, 50);
        double[][] logits = new NaiveLlama(config, w).logits(ids, range(10), new int[10]);
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            TokenBatch batch = TokenBatch.causal(m, new int[][] {ids});
            long[] tg = new long[10];
            for (int i = 0; i < 10; i++) {
                tg[i] = targets[i];
            }
            float[] got = model.tokenLogProbs(model.hiddenStates(batch, KvCache.NONE), m.create(tg).reshape(1, 10)).toFloatArray();
            for (int t = 0; t < 10; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : logits[t]) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (double v : logits[t]) {
                    z += Math.exp(v - max);
                }
                double expected = logits[t][targets[t]] - max - Math.log(z);
                assertEquals(expected, got[t], TOL, "position " + t);
            }
        }
    }

    @Test
    void tokenLogProbsAtChosenPositionsMatchReferenceAndCarryGradients() {
        LlamaConfig config = LlamaConfig.of(32, 48, 1, 4, 4, 50, null, true);
        Map<String, float[]> w = randomWeights(config, 21);
        int[][] ids = {randomIds(new Random(22), 8, 50), randomIds(new Random(23), 8, 50)};
        double[][][] logits = {new NaiveLlama(config, w).logits(ids[0], range(8), new int[8]),
                new NaiveLlama(config, w).logits(ids[1], range(8), new int[8])};
        long[] positions = {1, 7, 8 + 0, 8 + 5, 8 + 6};      // row 0 positions 1, 7; row 1 positions 0, 5, 6
        long[] targets = {3, 49, 0, 17, 17};
        try (LlamaModel model = model(config, w); NDManager m = model.newStepManager()) {
            TokenBatch batch = TokenBatch.causal(m, ids);
            float[] got = model.tokenLogProbsAt(model.hiddenStates(batch, KvCache.NONE), positions, targets).toFloatArray();
            for (int i = 0; i < positions.length; i++) {
                double[] row = logits[(int) (positions[i] / 8)][(int) (positions[i] % 8)];
                double max = Double.NEGATIVE_INFINITY;
                for (double v : row) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (double v : row) {
                    z += Math.exp(v - max);
                }
                assertEquals(row[(int) targets[i]] - max - Math.log(z), got[i], TOL, "pick " + i);
            }
        }
        // Gradients equal those of the full-sequence path masked to the same positions (whose gradients the
        // training-loop test checks against finite differences).
        float[] viaPicks;
        float[] viaMask;
        try (LlamaModel model = model(config, w)) {
            model.requireGradients(true);
            try (NDManager m = model.newStepManager(); ai.djl.training.GradientCollector gc =
                    ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray h = model.hiddenStates(TokenBatch.causal(m, ids), KvCache.NONE);
                gc.backward(model.tokenLogProbsAt(h, positions, targets).sum());
                viaPicks = model.parameters().get("model.embed_tokens.weight").getGradient().toFloatArray();
            }
        }
        try (LlamaModel model = model(config, w)) {
            model.requireGradients(true);
            try (NDManager m = model.newStepManager(); ai.djl.training.GradientCollector gc =
                    ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray h = model.hiddenStates(TokenBatch.causal(m, ids), KvCache.NONE);
                long[] tg = new long[16];
                float[] mask = new float[16];
                for (int i = 0; i < positions.length; i++) {
                    tg[(int) positions[i]] = targets[i];
                    mask[(int) positions[i]] = 1;
                }
                NDArray lp = model.tokenLogProbs(h, m.create(tg).reshape(2, 8));
                gc.backward(lp.mul(m.create(mask).reshape(2, 8)).sum());
                viaMask = model.parameters().get("model.embed_tokens.weight").getGradient().toFloatArray();
            }
        }
        assertTrue(maxDiff(viaPicks, viaMask) < 1e-5, "gradient difference " + maxDiff(viaPicks, viaMask));
        assertTrue(maxDiff(viaMask, new float[viaMask.length]) > 1e-3, "gradients are not all zero");
    }
}
