package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    static final float[] LOGITS = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};

    /** One sampler's next token for {@code LOGITS}, the way generation draws it (device softmax, then the draw). */
    static int next(TokenSampler s, NDManager m) {
        try (NDManager step = m.newSubManager()) {
            return NextTokens.draw(step.create(LOGITS, new Shape(1, LOGITS.length)), new TokenSampler[] {s})[0];
        }
    }

    static double[] frequencies(SamplingParams p, int n) {
        TokenSampler s = new TokenSampler(p);
        double[] f = new double[LOGITS.length];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < n; i++) {
                f[next(s, m)] += 1.0 / n;
            }
        }
        return f;
    }

    @Test
    void temperatureOneSamplesTheSoftmax() {
        double[] f = frequencies(new SamplingParams(1, 0, 1, 1, 7), 40000);
        double[] expected = {0.5, 0.3, 0.15, 0.05};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], f[i], 0.01, "token " + i);     // ~4.5 standard errors at n = 40000
        }
    }

    @Test
    void topPKeepsTheNucleusRenormalised() {
        // p = 0.8 keeps {0, 1} (0.5 + 0.3), renormalised to 0.625 / 0.375.
        double[] f = frequencies(new SamplingParams(1, 0, 0.8, 1, 8), 40000);
        assertEquals(0.625, f[0], 0.012);
        assertEquals(0.375, f[1], 0.012);
        assertEquals(0.0, f[2] + f[3], 0.0);
    }

    @Test
    void topKOneAndGreedyPickTheArgmax() {
        assertTrue(frequencies(new SamplingParams(1, 1, 1, 1, 9), 100)[0] > 0.999);
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(0, next(new TokenSampler(SamplingParams.greedy(1)), m));
        }
    }

    @Test
    void lowTemperatureSharpens() {
        double[] f = frequencies(new SamplingParams(0.25, 0, 1, 1, 10), 20000);
        // p ∝ p₀⁴: 0.0625 / (0.0625 + 0.0081 + 0.000506 + 0.00000625) = 0.8795
        assertEquals(0.8795, f[0], 0.012);
    }
}
