package dev.herd.llama.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The radix selection of top-k/top-p keeps exactly what sorting would, ties at the boundary included. */
class NucleusSelectionTest {

    /** Independent reference: sort by (probability descending, id ascending), then walk as the definition says. */
    static Set<Integer> sortedPrefix(float[] p, int k, double topP) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                order.add(i);
            }
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        Set<Integer> kept = new TreeSet<>();
        double cum = 0;
        for (int i : order) {
            if (kept.size() >= k || cum >= topP) {
                break;
            }
            kept.add(i);
            cum += p[i];
        }
        return kept;
    }

    static Set<Integer> keptByCut(float[] p, int k, double topP) {
        TokenSampler.Cut cut = TokenSampler.Cut.find(p, 0, p.length, k, topP);
        Set<Integer> kept = new TreeSet<>();
        double mass = 0;
        int ties = cut.ties();
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0 && (p[i] > cut.value() || (p[i] == cut.value() && ties-- > 0))) {
                kept.add(i);
                mass += p[i];
            }
        }
        assertEquals(mass, cut.mass(), 1e-9, "the cut's mass is its kept tokens' mass");
        return kept;
    }

    @Test
    void keptSetEqualsTheSortedPrefixOnRowsFullOfTies() {
        Random r = new Random(11);
        for (int trial = 0; trial < 400; trial++) {
            int vocab = 1 + r.nextInt(trial < 200 ? 40 : 5000);
            float[] p = new float[vocab];
            double z = 0;
            int levels = 1 + r.nextInt(6);      // few distinct values: many ties, also across the boundary
            double[] raw = new double[vocab];
            for (int i = 0; i < vocab; i++) {
                raw[i] = r.nextInt(10) == 0 ? 0 : Math.pow(2, -r.nextInt(levels) * (trial % 2 == 0 ? 1 : 7));
                z += raw[i];
            }
            for (int i = 0; i < vocab; i++) {
                p[i] = z == 0 ? 0 : (float) (raw[i] / z);
            }
            int k = r.nextBoolean() ? vocab : 1 + r.nextInt(vocab);
            double topP = r.nextBoolean() ? 1 : 0.05 + 0.9 * r.nextDouble();
            if (k >= vocab && topP >= 1) {
                continue;
            }
            // Sums of floats in another order can land a hair either side of top-p: compare on rows where the
            // reference's cumulative mass is not within 1e-6 of it at the boundary.
            Set<Integer> expected = sortedPrefix(p, k, topP);
            double mass = expected.stream().mapToDouble(i -> p[i]).sum();
            double lastP = expected.isEmpty() ? 0 : expected.stream().mapToDouble(i -> p[i]).min().orElse(0);
            if (Math.abs(mass - topP) < 1e-6 || Math.abs(mass - lastP - topP) < 1e-6) {
                continue;
            }
            Set<Integer> got = keptByCut(p, k, topP);
            if (!expected.isEmpty()) {
                assertEquals(expected, got, "trial " + trial + " vocab " + vocab + " k " + k + " top-p " + topP);
            }
        }
    }

    @Test
    void drawsFollowTheRenormalisedNucleusOverAFlatTail() {
        // 16k tokens: 3 heavy ones (0.4, 0.3, 0.2) and a flat tail holding 0.1. Top-p 0.85 keeps the three.
        int vocab = 16_384;
        float[] p = new float[vocab];
        java.util.Arrays.fill(p, (float) (0.1 / (vocab - 3)));
        p[7_000] = 0.4f;
        p[5] = 0.3f;
        p[16_000] = 0.2f;
        TokenSampler s = new TokenSampler(new SamplingParams(1, 0, 0.85, 1, 3));
        int n = 20_000;
        int[] count = new int[vocab];
        for (int i = 0; i < n; i++) {
            count[s.draw(p, 0, vocab)]++;
        }
        assertEquals(n, count[7_000] + count[5] + count[16_000], "only the nucleus is ever drawn");
        assertEquals(4.0 / 9, count[7_000] / (double) n, 0.015);
        assertEquals(3.0 / 9, count[5] / (double) n, 0.015);
        assertEquals(2.0 / 9, count[16_000] / (double) n, 0.015);
    }
}
