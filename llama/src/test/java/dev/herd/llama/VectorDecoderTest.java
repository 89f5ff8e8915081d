package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.llama.lora.LoraTarget;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Batch-1 decoding in Java against {@link NaiveLlama} (independent, double precision): token after token, each
 * step's logits must be the reference's at that position, with the keys and values kept in a paged pool.
 */
class VectorDecoderTest {

    /** GQA, Llama 3.1 RoPE scaling, untied head; hidden 40 and head dim 10 exercise the loops' scalar tails. */
    static final LlamaConfig ODD = LlamaConfig.of(40, 72, 2, 4, 2, 50, RopeScaling.llama31(), false);
    /** Tied embeddings, one kv head for two query heads, head dim 32: whole vectors everywhere. */
    static final LlamaConfig TIED = LlamaConfig.of(64, 100, 2, 2, 1, 60, null, true);

    @Test
    void everyStepsLogitsAreTheReferencesAtThatPositionWithOddSizes() {
        stepsMatchReference(ODD, 30, 1);
    }

    @Test
    void everyStepsLogitsAreTheReferencesAtThatPositionWithTiedEmbeddings() {
        stepsMatchReference(TIED, 40, 2);
    }

    /** Decodes {@code n} random tokens one by one into slots scattered over a pool (runs and jumps). */
    private static void stepsMatchReference(LlamaConfig c, int n, long seed) {
        Map<String, float[]> w = LlamaModelTest.randomWeights(c, seed);
        int[] ids = LlamaModelTest.randomIds(new Random(seed + 10), n, c.vocabSize());
        double[][] expected = new NaiveLlama(c, w).logits(ids, LlamaModelTest.range(n), new int[n]);
        int stride = 2 * c.numKeyValueHeads() * c.headDim();
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            slots[i] = i < n / 2 ? 200 + i : 3 * i;             // a run of consecutive slots, then every third (below it)
        }
        FloatBuffer[] pools = new FloatBuffer[c.numHiddenLayers()];
        for (int l = 0; l < pools.length; l++) {
            pools[l] = FloatBuffer.allocate((200 + n) * stride);
        }
        try (LlamaModel model = LlamaModelTest.model(c, w)) {
            VectorDecoder decoder = model.vectorDecoder();
            assertNotNull(decoder, "the tests run with --add-modules jdk.incubator.vector, as ./herd does");
            for (int t = 0; t < n; t++) {
                float[] got = decoder.logits(ids[t], t, pools, Arrays.copyOf(slots, t + 1), slots[t]);
                double diff = LlamaModelTest.maxDiff(got, expected[t]);
                assertTrue(diff < LlamaModelTest.TOL, "position " + t + ": max abs diff " + diff);
            }
        }
    }

    @Test
    void theKeysAndValuesOfEachTokenLandInItsSlotAndNowhereElse() {
        Map<String, float[]> w = LlamaModelTest.randomWeights(TIED, 3);
        int stride = 2 * TIED.numKeyValueHeads() * TIED.headDim();
        FloatBuffer[] pools = {FloatBuffer.allocate(8 * stride), FloatBuffer.allocate(8 * stride)};
        try (LlamaModel model = LlamaModelTest.model(TIED, w)) {
            VectorDecoder decoder = model.vectorDecoder();
            decoder.logits(5, 0, pools, new int[] {6}, 6);
            decoder.logits(7, 1, pools, new int[] {6, 2}, 2);
            for (FloatBuffer pool : pools) {
                for (int slot = 0; slot < 8; slot++) {
                    float[] cell = new float[stride];
                    pool.get(slot * stride, cell);
                    boolean written = slot == 6 || slot == 2;
                    assertTrue(written == anyNonZero(cell), "slot " + slot);
                }
            }
        }
    }

    @Test
    void libtorchDecodesWhenTurnedOffOrWhenTheModelHasAdapters() {
        Map<String, float[]> w = LlamaModelTest.randomWeights(TIED, 4);
        try (LlamaModel model = LlamaModelTest.model(TIED, w)) {
            System.setProperty(VectorDecoder.PROPERTY, "false");
            try {
                assertNull(model.vectorDecoder());
            } finally {
                System.clearProperty(VectorDecoder.PROPERTY);
            }
            model.useAdapters(LoraAdapters.init(model, new LoraConfig(2, 4.0, 0.0, List.of(LoraTarget.values())), 1));
            assertNull(model.vectorDecoder(), "adapters are not applied by the Java path");
            model.useAdapters(null);
            assertNotNull(model.vectorDecoder());
        }
    }

    @Test
    void forEachRowRunsEveryRowOfABatchExactlyOnce() {
        for (int b : new int[] {0, 1, 2, 7, 32, 129}) {
            java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(b);
            VectorDecoder.forEachRow(b, runs::incrementAndGet);
            for (int i = 0; i < b; i++) {
                assertEquals(1, runs.get(i), "batch " + b + ", row " + i);
            }
        }
    }

    @Test
    void afterTrainingADecoderSeesTheTrainedWeightsAndNoneIsMadeDuringIt() {
        Map<String, float[]> w = LlamaModelTest.randomWeights(TIED, 5);
        int stride = 2 * TIED.numKeyValueHeads() * TIED.headDim();
        try (LlamaModel model = LlamaModelTest.model(TIED, w)) {
            model.vectorDecoder().logits(3, 0, new FloatBuffer[] {FloatBuffer.allocate(stride), FloatBuffer.allocate(stride)},
                    new int[] {0}, 0);                                       // the copy of the weights is made
            model.requireGradients(true);
            assertNull(model.vectorDecoder(), "weights change in place while training");
            model.parameters().get("model.norm.weight").muli(3f);        // what an optimizer step does, in place
            model.requireGradients(false);
            float[] norm = w.get("model.norm.weight");
            for (int i = 0; i < norm.length; i++) {
                norm[i] *= 3f;
            }
            float[] got = model.vectorDecoder().logits(3, 0,
                    new FloatBuffer[] {FloatBuffer.allocate(stride), FloatBuffer.allocate(stride)}, new int[] {0}, 0);
            double[] expected = new NaiveLlama(TIED, w).logits(new int[] {3}, new int[] {0}, new int[1])[0];
            assertTrue(LlamaModelTest.maxDiff(got, expected) < LlamaModelTest.TOL, "diff " + LlamaModelTest.maxDiff(got, expected));
        }
    }

    private static boolean anyNonZero(float[] v) {
        for (float x : v) {
            if (x != 0f) {
                return true;
            }
        }
        return false;
    }
}
