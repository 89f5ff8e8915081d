package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConfidenceTest {

    @Test
    void llama3BinomialInterval() {
        // S = 0.8, N = 100: 1.96·√(0.16/100) = 0.0784
        Confidence.Interval ci = Confidence.binomial(0.8, 100);
        assertEquals(0.7216, ci.low(), 1e-12);
        assertEquals(0.8784, ci.high(), 1e-12);
        assertEquals(0.04, ci.stderr(), 1e-12);
    }

    @Test
    void passAtKMatchesTheCombinatorialFormula() {
        // n = 10, c = 3, k = 1: 1 − C(7,1)/C(10,1) = 0.3; k = 5: 1 − C(7,5)/C(10,5) = 1 − 21/252
        assertEquals(0.3, Confidence.passAtK(10, 3, 1), 1e-12);
        assertEquals(1 - 21.0 / 252, Confidence.passAtK(10, 3, 5), 1e-12);
        assertEquals(1.0, Confidence.passAtK(10, 8, 5), 0);
        assertEquals(0.0, Confidence.passAtK(200, 0, 10), 0);
        assertTrue(Confidence.passAtK(1000, 1, 100) > 0.099 && Confidence.passAtK(1000, 1, 100) < 0.1001);
    }

    @Test
    void mcnemarExactByHand() {
        // b = 1, c = 9: 2·P(X ≤ 1), X ~ Bin(10, ½) = 2·11/1024
        assertEquals(22.0 / 1024, Confidence.mcnemarExact(1, 9), 1e-12);
        assertEquals(1.0, Confidence.mcnemarExact(5, 5), 1e-12);
    }

    @Test
    void bootstrapCoversTheMeanAndIsSeeded() {
        double[] v = new double[200];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian() + 3;
        }
        Confidence.Interval a = Confidence.bootstrap(v, 10_000, 7);
        Confidence.Interval b = Confidence.bootstrap(v, 10_000, 7);
        assertEquals(a, b);
        // Standard error of the mean ≈ 1/√200 = 0.0707: the interval is ≈ ±1.96·0.0707.
        assertEquals(0.0707, a.stderr(), 0.01);
        assertEquals(2 * 1.96 * 0.0707, a.high() - a.low(), 0.03);
        assertTrue(a.low() < a.score() && a.score() < a.high());
    }

    @Test
    void pairedComparisonSaysWhenThereIsNoDifference() {
        double[] a = new double[100];
        double[] b = new double[100];
        for (int i = 0; i < 100; i++) {
            a[i] = i % 2;
            b[i] = i < 90 ? a[i] : 1 - a[i];   // 10 discordant pairs, 5 each way
        }
        Confidence.Comparison c = Confidence.paired(a, b, 10_000, 1);
        assertFalse(c.significant());
        assertEquals(1.0, c.mcnemarP(), 1e-12);
        double[] better = new double[100];
        for (int i = 0; i < 100; i++) {
            better[i] = i < 80 ? 1 : a[i];
        }
        Confidence.Comparison d = Confidence.paired(a, better, 10_000, 1);
        assertTrue(d.significant() && d.diff() > 0 && d.mcnemarP() < 1e-6);
    }
}
