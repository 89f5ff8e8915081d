package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.VectorDecoder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The row passes of a draw, vectorized and plain, against naive double-precision definitions. */
class RowScanTest {

    static List<RowScan> scans() {
        assertTrue(VectorDecoder.available(), "the tests run with the Vector API (herd.test.argLine)");
        return List.of(ScalarRowScan.INSTANCE, RowScan.VectorHolder.SCAN);
    }

    /** A row of few distinct weights (many ties), some zero, at a length that is rarely a multiple of a vector. */
    static float[] tiedRow(Random r, int n) {
        float[] w = new float[n];
        int levels = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            w[i] = r.nextInt(8) == 0 ? 0f : (float) Math.pow(2, -r.nextInt(levels));
        }
        return w;
    }

    static boolean member(float[] w, int i, float v, int j) {
        return w[i] > v || (w[i] == v && i < j);
    }

    /** The blocks of w[wo, wo + n) by their definition: each block's sum (in double) and largest weight. */
    static RowBlocks blocksOf(float[] w, int wo, int n) {
        RowBlocks b = new RowBlocks();
        b.count = (n + RowBlocks.SIZE - 1) / RowBlocks.SIZE;
        b.sum = new double[b.count];
        b.max = new float[b.count];
        for (int i = 0; i < n; i++) {
            b.sum[i / RowBlocks.SIZE] += w[wo + i];
            b.max[i / RowBlocks.SIZE] = Math.max(b.max[i / RowBlocks.SIZE], w[wo + i]);
            b.total += w[wo + i];
        }
        return b;
    }

    @Test
    void weightsAreTheExponentialsOfTheLogitsFromTheirMaximumOverTheTemperature() {
        Random r = new Random(7);
        for (RowScan scan : scans()) {
            for (int n : new int[] {1, 37, 1000, 128_256}) {
                float[] logits = new float[n + 3];
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) (4 * r.nextGaussian());
                }
                if (n > 2) {
                    logits[3 + n / 2] = Float.NEGATIVE_INFINITY;         // a masked token
                }
                for (double t : new double[] {0.7, 1.0, 1.5}) {
                    float[] w = new float[n + 5];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        max = Math.max(max, logits[3 + i]);
                    }
                    assertEquals(max, scan.max(logits, 3, n), scan + " n " + n);
                    RowBlocks blocks = new RowBlocks();
                    double total = scan.weights(logits, 3, n, (float) max, (float) (1 / t), w, 2, blocks);
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        double expected = Math.exp((logits[3 + i] - max) / t);
                        sum += expected;
                        assertEquals(expected, w[2 + i], 1e-5 * expected + 1e-30, scan + " n " + n + " T " + t + " token " + i);
                    }
                    assertEquals(sum, total, 1e-5 * sum, scan + " n " + n + " T " + t);
                    RowBlocks expected = blocksOf(w, 2, n);
                    assertEquals(expected.count, blocks.count, scan + " n " + n);
                    for (int k = 0; k < expected.count; k++) {
                        assertEquals(expected.sum[k], blocks.sum[k], 1e-6 * expected.sum[k], scan + " n " + n + " block " + k + "'s sum");
                        assertEquals(expected.max[k], blocks.max[k], scan + " n " + n + " block " + k + "'s largest weight");
                    }
                    assertEquals(sum, blocks.total, 1e-5 * sum, scan + " n " + n + ": the blocks' total");
                    assertEquals(0f, w[0] + w[1] + w[n + 2] + w[n + 3] + w[n + 4], "nothing outside the row is written");
                    if (n > 2) {
                        assertEquals(0f, w[2 + n / 2], scan + ": a logit of -inf weighs exactly 0, so it is never drawn");
                    }
                }
            }
            float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
            float max = scan.max(masked, 0, 3);
            RowBlocks blocks = new RowBlocks();
            blocks.reset(2000);
            blocks.sum[0] = 5;                                               // left from an earlier, longer row
            blocks.max[0] = 1;
            assertEquals(0.0, scan.weights(masked, 0, 3, max, 1f, masked, 0, blocks), scan + ": a row without a finite logit weighs nothing");
            assertEquals(0f, masked[0] + masked[1] + masked[2]);
            assertEquals(1, blocks.count);
            assertEquals(0.0, blocks.sum[0] + blocks.max[0], scan + ": so do its blocks");
        }
    }

    @Test
    void weightsBeyondTheSmallestFloatAreExactlyZeroAndTheMaximumWeighsOne() {
        // Logits from just above to far beyond the underflow of exp((l − max)/T), up to −Float.MAX_VALUE and −∞, on
        // both sides of every vector lane, with the maximum at a large magnitude (where max·c rounds worst).
        float[] gaps = {60f, 88.5f, 89f, 1e3f, 1e6f, 1e8f, 1e12f, 1e20f, 1e30f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        int n = 4 * RowBlocks.SIZE + 13;
        for (RowScan scan : scans()) {
            for (float max : new float[] {0f, 37.3f, -1.7e4f, 3.1e5f}) {
                float[] logits = new float[n];
                for (int i = 0; i < n; i++) {
                    logits[i] = max - gaps[i % gaps.length];
                }
                logits[n / 3] = max;
                RowBlocks blocks = new RowBlocks();
                float[] w = new float[n];
                double total = scan.weights(logits, 0, n, scan.max(logits, 0, n), 1f / 0.7f, w, 0, blocks);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    double expected = Math.exp(((double) logits[i] - max) / 0.7);
                    sum += expected;
                    if (expected < 1e-38) {
                        assertEquals(0, Float.floatToRawIntBits(w[i]),
                                scan + " max " + max + " gap " + gaps[i % gaps.length] + ": +0, never −0, NaN or more");
                    } else {
                        // Within y's own float rounding (three roundings of y = (l − max)/T·log2 e: 1.8e-7 of |y|)
                        // and the polynomial's 1.6e-7.
                        double y = Math.abs(((double) logits[i] - max) / 0.7 / Math.log(2));
                        assertEquals(expected, w[i], (1.8e-7 * y * Math.log(2) + 2e-7) * expected,
                                scan + " max " + max + " token " + i);
                    }
                }
                assertEquals(1f, w[n / 3], scan + " max " + max + ": the maximum weighs exactly 1");
                assertEquals(sum, total, 1e-5 * sum, scan + " max " + max);
            }
        }
    }

    @Test
    void greedyTakesTheFirstIndexOfTheMaximumLikeANaiveScan() {
        Random r = new Random(6);
        for (int n : new int[] {1, 15, 16, 37, 64, 65, 128_256}) {
            for (int trial = 0; trial < 20; trial++) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = r.nextInt(50) - 60;                       // many ties
                }
                if (trial % 2 == 0) {
                    v[r.nextInt(n)] = 3f;                               // a single maximum, anywhere (the tail too)
                }
                int expected = 0;
                for (int i = 1; i < n; i++) {
                    if (v[i] > v[expected]) {
                        expected = i;
                    }
                }
                assertEquals(expected, TokenSampler.argMax(v), "n " + n + ", trial " + trial);
            }
        }
    }

    @Test
    void indexOfFindsTheFirstPositionHoldingAValueInsideTheRowAndNothingElse() {
        Random r = new Random(12);
        for (RowScan scan : scans()) {
            for (int trial = 0; trial < 300; trial++) {
                int n = 1 + r.nextInt(300);
                int o = r.nextInt(20);
                float[] x = new float[o + n + 20];
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextInt(7);                          // small integers: many repeats
                }
                float v = r.nextInt(9);                           // 7 and 8 occur nowhere
                int expected = -1;
                for (int i = 0; i < n; i++) {
                    if (x[o + i] == v) {
                        expected = i;
                        break;
                    }
                }
                assertEquals(expected, scan.indexOf(x, o, n, v), scan + ", n " + n + ", offset " + o + ", v " + v);
            }
            float[] nan = {1f, Float.NaN, 2f};
            assertEquals(-1, scan.indexOf(nan, 0, 3, Float.NaN), scan + ": NaN equals nothing");
        }
    }

    @Test
    void copyMaxCopiesTheRowOutOfADirectBufferAndFindsItsMaximum() {
        Random r = new Random(17);
        for (RowScan scan : scans()) {
            for (int n : new int[] {1, 15, 4096, 4097, 128_256}) {
                java.nio.FloatBuffer src = java.nio.ByteBuffer.allocateDirect(4 * (n + 7)).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                float[] expected = new float[n];
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n + 7; i++) {
                    float x = (float) r.nextGaussian();
                    src.put(i, x);
                    if (i >= 7) {
                        expected[i - 7] = x;
                        max = Math.max(max, x);
                    }
                }
                float[] dst = new float[n + 1];
                dst[n] = 42f;
                assertEquals(max, scan.copyMax(src, 7, n, dst), scan + " n " + n);
                assertTrue(java.util.Arrays.equals(expected, java.util.Arrays.copyOf(dst, n)), scan + " n " + n + ": the row is copied");
                assertEquals(42f, dst[n], "nothing past the row is written");
                src.put(7 + n / 2, Float.NaN);
                assertTrue(Float.isNaN(scan.copyMax(src, 7, n, dst)), scan + " n " + n + ": a NaN logit makes the maximum NaN");
            }
        }
    }

    @Test
    void walkStopsWhereTheCumulativeWeightOfTheSetFirstExceedsTheTarget() {
        Random r = new Random(11);
        for (RowScan scan : scans()) {
            for (int trial = 0; trial < 600; trial++) {
                int n = 1 + r.nextInt(trial < 300 ? 70 : 3000);
                float[] w = tiedRow(r, n + 2);
                int t = r.nextInt(n);
                boolean all = r.nextInt(4) == 0 || w[2 + t] == 0;
                float v = all ? 0f : w[2 + t];
                int j = all ? 0 : t;
                double mass = 0;
                int last = -1;
                for (int i = 0; i < n; i++) {
                    if (member(w, 2 + i, v, j + 2)) {
                        mass += w[2 + i];
                        last = i;
                    }
                }
                double target = r.nextDouble() * mass;
                // Without the blocks' summary, and with it (every block then either skipped or read).
                RowBlocks blocks = r.nextBoolean() ? null : blocksOf(w, 2, n);
                int got = scan.walk(w, 2, n, v, j, target, blocks);
                if (last < 0) {
                    assertEquals(-1, got, scan + ": an empty set has no member to stop at");
                    continue;
                }
                assertTrue(got >= 0 && member(w, 2 + got, v, j + 2), scan + " trial " + trial + ": stops on a member");
                double before = 0;
                for (int i = 0; i < got; i++) {
                    before += member(w, 2 + i, v, j + 2) ? w[2 + i] : 0;
                }
                // Sums in another order may land a hair either side of the target: 1e-6 of the set's mass.
                assertTrue(before <= target + 1e-6 * mass, scan + " trial " + trial + ": the sum before it does not pass the target");
                assertTrue(before + w[2 + got] > target - 1e-6 * mass, scan + " trial " + trial + ": the sum through it passes the target");
                if (blocks != null && v == 0f && scan != ScalarRowScan.INSTANCE) {
                    // Blocks passed by their sums alone: a row whose weights outside the summary changed the walk
                    // only where it was read. Zero every weight of the blocks before the stop, keeping their sums.
                    float[] hollow = w.clone();
                    for (int i = 0; i < got / RowBlocks.SIZE * RowBlocks.SIZE; i++) {
                        hollow[2 + i] = 0f;
                    }
                    assertEquals(got, scan.walk(hollow, 2, n, v, j, target, blocks),
                            scan + " trial " + trial + ": whole blocks before the stop are skipped by their sums, not read");
                }
            }
        }
    }

    @Test
    void aheadStopsEarlyOnlyWhenTheWeightBehindTheTokenProvesTheMassAheadBelowTheLimit() {
        Random r = new Random(17);
        for (RowScan scan : scans()) {
            int early = 0;
            for (int trial = 0; trial < 400; trial++) {
                int n = 1 + r.nextInt(6000);
                float[] w = new float[n];
                for (int i = 0; i < n; i++) {
                    w[i] = trial % 2 == 0 ? (float) Math.exp(r.nextGaussian() * 0.2) : RowScanTest.tiedRow(r, 1)[0];
                }
                int t = r.nextInt(n);
                double mass = 0;
                double total = 0;
                for (int i = 0; i < n; i++) {
                    mass += w[i] > w[t] || (w[i] == w[t] && i < t) ? w[i] : 0;
                    total += w[i];
                }
                double limit = (trial % 3 == 0 ? 0.9 : r.nextDouble()) * total;
                RowScan.Ahead got = scan.ahead(w, 0, n, t, false, blocksOf(w, 0, n), limit);
                if (got.mass() < limit) {
                    assertTrue(mass < limit, scan + " trial " + trial + ": below the limit only where the mass ahead is");
                    assertTrue(got.mass() >= mass - 1e-6 * total, scan + " trial " + trial + ": an early answer bounds the mass from above");
                    early += Math.abs(got.mass() - mass) > 1e-6 * total ? 1 : 0;
                } else {
                    assertEquals(mass, got.mass(), 1e-6 * total, scan + " trial " + trial + ": at or above the limit, the exact mass");
                }
            }
            if (scan != ScalarRowScan.INSTANCE) {
                assertTrue(early > 50, scan + ": stopped early in " + early + " of 400 rows");
            }
        }
    }

    @Test
    void aheadWeighsAndCountsTheTokensOrderedBeforeOneInProbabilityThenIdOrder() {
        Random r = new Random(13);
        for (RowScan scan : scans()) {
            for (int trial = 0; trial < 600; trial++) {
                int n = 1 + r.nextInt(trial < 300 ? 70 : 5000);
                float[] w = tiedRow(r, n + 1);
                int t = r.nextInt(n);
                double mass = 0;
                int count = 0;
                for (int i = 0; i < n; i++) {
                    float x = w[1 + i];
                    if (x > w[1 + t] || (x == w[1 + t] && i < t)) {
                        mass += x;
                        count++;
                    }
                }
                RowBlocks blocks = r.nextBoolean() ? null : blocksOf(w, 1, n);
                double limit = r.nextDouble() * (mass + 1);
                RowScan.Ahead got = scan.ahead(w, 1, n, t, true, blocks, limit);
                assertEquals(count, got.count(), scan + " trial " + trial);
                assertEquals(mass, got.mass(), 1e-6 * mass, scan + " trial " + trial + ": a count is never cut short");
                RowScan.Ahead massOnly = scan.ahead(w, 1, n, t, false, blocks, Double.NEGATIVE_INFINITY);
                assertEquals(mass, massOnly.mass(), 1e-6 * mass, scan + " trial " + trial + ", mass only");
                assertEquals(0, massOnly.count(), "no count asked, none made");
                if (blocks != null && scan != ScalarRowScan.INSTANCE) {
                    // Blocks whose largest weight is below w[t] are not read: weights planted there behind the
                    // summary's back would be counted if they were.
                    float[] planted = w.clone();
                    for (int i = 0; i < n; i++) {
                        if (blocks.max[i / RowBlocks.SIZE] < w[1 + t]) {
                            planted[1 + i] = 4f;
                        }
                    }
                    assertEquals(count, scan.ahead(planted, 1, n, t, true, blocks, limit).count(),
                            scan + " trial " + trial + ": blocks below the token's weight are skipped");
                }
            }
        }
    }
}
