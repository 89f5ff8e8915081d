package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NextTokensTest {

    static float[] randomLogits(int rows, int vocab, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * vocab];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (3 * r.nextGaussian());
        }
        return v;
    }

    static SamplingParams params(int row) {
        return switch (row % 4) {
            case 0 -> SamplingParams.greedy(1);
            case 1 -> new SamplingParams(0.7, 0, 0.9, 1, 100 + row);
            case 2 -> new SamplingParams(1.0, 20, 1.0, 1, 100 + row);
            default -> new SamplingParams(1.3, 0, 1.0, 1, 100 + row);
        };
    }

    @Test
    void eachRowDrawsTheSameTokensAloneAsInAMixedBatch() {
        int b = 8;
        int vocab = 3000;
        float[] all = randomLogits(b, vocab, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = m.create(all, new Shape(b, vocab));
            TokenSampler[] together = new TokenSampler[b];
            TokenSampler[] alone = new TokenSampler[b];
            for (int i = 0; i < b; i++) {
                together[i] = new TokenSampler(params(i));
                alone[i] = new TokenSampler(params(i));
            }
            for (int step = 0; step < 20; step++) {
                int[] got = NextTokens.draw(batch, together);
                for (int i = 0; i < b; i++) {
                    NDArray row = m.create(java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab), new Shape(1, vocab));
                    assertEquals(NextTokens.draw(row, new TokenSampler[] {alone[i]})[0], got[i], "row " + i + " step " + step);
                }
            }
        }
    }

    @Test
    void sampledRowsReadTransposedAndHalfPrecisionLogitsAsTheirValues() {
        // The draw reads the logits' memory in place: a strided view (as a slice of a larger output would be) or
        // fp16 logits must be read as the values they hold, not as their raw storage.
        int b = 5;
        int vocab = 700;
        float[] v = randomLogits(b, vocab, 21);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray plain = m.create(v, new Shape(b, vocab));
            NDArray transposed = plain.transpose().duplicate().transpose();           // [b, vocab], column-major
            NDArray half = plain.toType(DataType.FLOAT16, false);
            NDArray halfValues = half.toType(DataType.FLOAT32, false);
            for (int i = 0; i < 30; i++) {
                assertArrayEquals(NextTokens.draw(plain, samplers(b, i)), NextTokens.draw(transposed, samplers(b, i)), "draw " + i);
                assertArrayEquals(NextTokens.draw(halfValues, samplers(b, i)), NextTokens.draw(half, samplers(b, i)), "draw " + i);
            }
        }
    }

    static TokenSampler[] samplers(int b, long seed) {
        TokenSampler[] s = new TokenSampler[b];
        for (int i = 0; i < b; i++) {
            s[i] = new TokenSampler(new SamplingParams(1.0, 0, 0.95, 1, seed * 31 + i));
        }
        return s;
    }

    @Test
    void greedyRowsTakeTheArgmaxAndSkippedRowsDrawNothing() {
        int vocab = 500;
        float[] v = randomLogits(3, vocab, 6);
        v[17] = 50;
        v[vocab + 499] = 50;
        try (NDManager m = NDManager.newBaseManager()) {
            TokenSampler g = new TokenSampler(SamplingParams.greedy(1));
            int[] got = NextTokens.draw(m.create(v, new Shape(3, vocab)), new TokenSampler[] {g, g, null});
            assertArrayEquals(new int[] {17, 499, -1}, got);
        }
    }

    @Test
    void greedyRowsTakeTheFirstIndexOfTheirMaximumLikeANaiveScanWhateverTheVocabulary() {
        // Two-stage argmax over column blocks: ties inside a block, across blocks and at block edges must still give
        // the first index, as a plain scan (and torch.argmax) does; short rows and vocabularies with no power-of-two
        // block of 64 or more columns go through the one-stage argmax.
        Random r = new Random(9);
        for (int vocab : new int[] {128_256, 1 << 15, 3 * (1 << 15) + 64, 4096, 3000, 130, 97}) {
            int rows = 7;
            float[] v = new float[rows * vocab];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            int[][] ties = {{5, 9}, {vocab - 1, vocab - 2}, {0, vocab - 1}, {63, 64}, {vocab / 2, vocab / 2 + 1}, {3, 3}, {vocab - 1, vocab - 1}};
            for (int row = 0; row < rows; row++) {
                v[row * vocab + ties[row][0]] = 9;
                v[row * vocab + ties[row][1]] = 9;
            }
            int[] expected = new int[rows];
            for (int row = 0; row < rows; row++) {
                int best = 0;
                for (int i = 1; i < vocab; i++) {
                    if (v[row * vocab + i] > v[row * vocab + best]) {
                        best = i;
                    }
                }
                expected[row] = best;
            }
            TokenSampler[] g = new TokenSampler[rows];
            java.util.Arrays.fill(g, new TokenSampler(SamplingParams.greedy(1)));
            try (NDManager m = NDManager.newBaseManager()) {
                assertArrayEquals(expected, NextTokens.draw(m.create(v, new Shape(rows, vocab)), g), "vocabulary " + vocab);
            }
        }
    }

    @Test
    void temperatureSamplesTheTemperedSoftmax() {
        // logits log(0.5), log(0.3), log(0.15), log(0.05) at T = 0.5: p ∝ p₀², i.e. 0.25/0.09/0.0225/0.0025 over 0.365.
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        int n = 30_000;
        int[] count = new int[4];
        try (NDManager m = NDManager.newBaseManager()) {
            float[] rows = new float[n * 4];
            for (int i = 0; i < n; i++) {
                System.arraycopy(logits, 0, rows, 4 * i, 4);
            }
            TokenSampler[] s = new TokenSampler[n];
            for (int i = 0; i < n; i++) {
                s[i] = new TokenSampler(new SamplingParams(0.5, 0, 1, 1, i));
            }
            for (int t : NextTokens.draw(m.create(rows, new Shape(n, 4)), s)) {
                count[t]++;
            }
        }
        assertEquals(0.25 / 0.365, count[0] / (double) n, 0.012);
        assertEquals(0.09 / 0.365, count[1] / (double) n, 0.012);
    }
}
