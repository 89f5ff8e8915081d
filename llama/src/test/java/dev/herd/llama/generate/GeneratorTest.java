package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.RopeScaling;
import dev.herd.llama.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    static final LlamaConfig CONFIG = LlamaConfig.of(32, 64, 2, 4, 2, 60, RopeScaling.llama31(), false);

    /** Greedy decoding by recomputing the whole sequence each step, no cache, one row at a time. */
    static int[] naiveGreedy(LlamaModel model, int[] prompt, int n) {
        List<Integer> seq = new ArrayList<>();
        for (int t : prompt) {
            seq.add(t);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            try (NDManager m = model.newStepManager()) {
                int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
                float[] last = model.forward(TokenBatch.causal(m, new int[][] {ids})).get(0, ids.length - 1).toFloatArray();
                out[i] = firstMax(last);
                seq.add(out[i]);
            }
        }
        return out;
    }

    @Test
    void batchedGreedyEqualsFullRecompute() {
        List<int[]> prompts = List.of(new int[] {5, 9, 13, 2, 7, 7, 1}, new int[] {3}, new int[] {40, 41, 42, 43});
        try (LlamaModel model = LlamaModel.random(CONFIG, 21, 0.2, Device.cpu())) {
            List<int[]> got = new Generator(model).generate(prompts,
                    List.of(SamplingParams.greedy(8), SamplingParams.greedy(8), SamplingParams.greedy(8)), Set.of());
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(naiveGreedy(model, prompts.get(i), 8), got.get(i), "row " + i);
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleWhateverTheBatch() {
        SamplingParams p = new SamplingParams(1.0, 0, 0.9, 10, 1234);
        try (LlamaModel model = LlamaModel.random(CONFIG, 22, 0.2, Device.cpu())) {
            Generator g = new Generator(model);
            int[] alone = g.generate(List.of(new int[] {1, 2, 3}), List.of(p), Set.of()).get(0);
            List<int[]> mixed = g.generate(List.of(new int[] {9, 9, 9, 9, 9, 9}, new int[] {1, 2, 3}),
                    List.of(p.withSeed(99), p), Set.of());
            assertArrayEquals(alone, mixed.get(1));
            int[] other = g.generate(List.of(new int[] {1, 2, 3}), List.of(p.withSeed(4321)), Set.of()).get(0);
            assertNotEquals(java.util.Arrays.toString(alone), java.util.Arrays.toString(other));
        }
    }

    @Test
    void stopsAtStopTokenAndIncludesIt() {
        try (LlamaModel model = LlamaModel.random(CONFIG, 23, 0.2, Device.cpu())) {
            int[] free = new Generator(model).generate(List.of(new int[] {4, 5}), List.of(SamplingParams.greedy(6)), Set.of()).get(0);
            int stop = free[2];
            int[] stopped = new Generator(model).generate(List.of(new int[] {4, 5}), List.of(SamplingParams.greedy(6)), Set.of(stop)).get(0);
            int firstStop = 0;
            while (free[firstStop] != stop) {
                firstStop++;
            }
            assertEquals(firstStop + 1, stopped.length);
            assertEquals(stop, stopped[stopped.length - 1]);
        }
    }

    /** The first index of the largest value: a plain scan, the reference for greedy decoding. */
    private static int firstMax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
