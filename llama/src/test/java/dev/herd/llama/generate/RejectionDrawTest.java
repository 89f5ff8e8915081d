package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rejection draw of {@link TokenSampler}: tokens follow the renormalized nucleus that sorting defines
 * ({@link NucleusSelectionTest#sortedPrefix}), whichever path (accepted draw or the selection after
 * {@link TokenSampler#ROUNDS} rejections) produced them.
 */
class RejectionDrawTest {

    /**
     * Draws {@code n} tokens from the weights {@code p} and checks each kept token's frequency within 5 standard
     * errors, the rest never.
     */
    static void assertDrawsFollowTheNucleus(TokenSampler s, float[] p, int k, double topP, int n, String what) {
        double total = 0;
        for (float x : p) {
            total += x;
        }
        float[] probs = new float[p.length];                      // the reference walks probabilities
        for (int i = 0; i < p.length; i++) {
            probs[i] = (float) (p[i] / total);
        }
        Set<Integer> kept = NucleusSelectionTest.sortedPrefix(probs, k, topP);
        double keptMass = kept.stream().mapToDouble(i -> p[i]).sum();
        int[] count = new int[p.length];
        for (int i = 0; i < n; i++) {
            count[s.draw(p, 0, p.length)]++;
        }
        for (int i = 0; i < p.length; i++) {
            if (!kept.contains(i)) {
                assertEquals(0, count[i], what + ": token " + i + " is outside the nucleus");
                continue;
            }
            double expected = p[i] / keptMass;
            double se = Math.sqrt(expected * (1 - expected) / n);
            assertEquals(expected, count[i] / (double) n, 5 * se + 1e-9, what + ": token " + i);
        }
    }

    @Test
    void drawsFollowTheSortedNucleusRenormalisedOnRowsWithTiesAtItsBoundary() {
        Random r = new Random(5);
        for (RowScan scan : RowScanTest.scans()) {
            for (int trial = 0; trial < 12; trial++) {
                int vocab = 20 + r.nextInt(300);
                float[] p = RowScanTest.tiedRow(r, vocab);
                p[r.nextInt(vocab)] = 3f;                          // one heavy token, sometimes alone in the nucleus
                int k = trial % 3 == 0 ? 1 + r.nextInt(12) : 0;
                double topP = trial % 3 == 1 ? 1 : 0.2 + 0.7 * r.nextDouble();
                double total = 0;
                for (float x : p) {
                    total += x;
                }
                float[] probs = new float[vocab];
                for (int i = 0; i < vocab; i++) {
                    probs[i] = (float) (p[i] / total);
                }
                Set<Integer> a = NucleusSelectionTest.sortedPrefix(probs, k == 0 ? vocab : k, topP);
                double mass = a.stream().mapToDouble(i -> probs[i]).sum();
                double lastP = a.stream().mapToDouble(i -> probs[i]).min().orElse(0);
                if (Math.abs(mass - topP) < 1e-6 || Math.abs(mass - lastP - topP) < 1e-6) {
                    continue;                                       // top-p on a rounding boundary
                }
                TokenSampler s = new TokenSampler(new SamplingParams(1, k, topP, 1, trial), scan);
                assertDrawsFollowTheNucleus(s, p, k == 0 ? vocab : k, topP, 30_000, scan + " trial " + trial);
            }
        }
    }

    /** Counts the rounds of draws (one walk each). */
    static final class CountingScan implements RowScan {
        final RowScan inner;
        int walks;

        CountingScan(RowScan inner) {
            this.inner = inner;
        }

        @Override
        public float max(float[] x, int o, int n) {
            return inner.max(x, o, n);
        }

        @Override
        public int indexOf(float[] x, int o, int n, float v) {
            return inner.indexOf(x, o, n, v);
        }

        @Override
        public float copyMax(java.nio.FloatBuffer src, int so, int n, float[] dst) {
            return inner.copyMax(src, so, n, dst);
        }

        @Override
        public double weights(float[] logits, int lo, int n, float max, float inverseTemperature, float[] w, int wo,
                              RowBlocks blocks) {
            return inner.weights(logits, lo, n, max, inverseTemperature, w, wo, blocks);
        }

        @Override
        public int walk(float[] w, int wo, int n, float v, int j, double target, RowBlocks blocks) {
            walks++;
            return inner.walk(w, wo, n, v, j, target, blocks);
        }

        @Override
        public Ahead ahead(float[] w, int wo, int n, int t, boolean count, RowBlocks blocks, double limit) {
            return inner.ahead(w, wo, n, t, count, blocks, limit);
        }
    }

    @Test
    void aNearlyFlatRowOf128kTokensAtTopP09IsAcceptedInAboutOneRound() {
        // A random model's distribution: 90% of the vocabulary in the nucleus, where a sort or a selection must
        // visit most of the row; the rejection draw accepts ~90% of first draws.
        Random r = new Random(3);
        float[] logits = new float[128_256];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (0.05 * r.nextGaussian());
        }
        for (RowScan scan : RowScanTest.scans()) {
            CountingScan counting = new CountingScan(scan);
            TokenSampler s = new TokenSampler(new SamplingParams(0.7, 0, 0.9, 1, 1), counting);
            int draws = 400;
            for (int i = 0; i < draws; i++) {
                s.sample(logits, 0, logits.length);
            }
            double rounds = counting.walks / (double) draws;
            assertTrue(rounds < 1.3, scan + ": " + rounds + " rounds a draw");
        }
    }

    @Test
    void aSmallTopKOverEqualWeightsDrawsTheLowestIdsUniformly() {
        // Ties everywhere: the kept set is ids 0..2 (lowest ids first). A first draw lands there 3 times in 5,000,
        // so this exercises the selection after the rejected rounds.
        float[] p = new float[5_000];
        java.util.Arrays.fill(p, 1f);
        for (RowScan scan : RowScanTest.scans()) {
            assertDrawsFollowTheNucleus(new TokenSampler(new SamplingParams(1, 3, 1, 1, 9), scan), p, 3, 1, 6_000, scan + " top-k 3");
            assertDrawsFollowTheNucleus(new TokenSampler(new SamplingParams(1, 0, 0.0005, 1, 9), scan), p, 5_000, 0.0005, 6_000,
                    scan + " top-p over ties");
        }
    }
}
