package dev.herd.common;

import java.util.SplittableRandom;

/**
 * The order examples are visited in: a fresh permutation each epoch, fixed by the seed and the epoch alone,
 * so a resumed run visits exactly the examples the crashed one would have.
 */
public final class DataOrder {

    private DataOrder() {}

    /** A permutation of 0..n-1 for {@code epoch} (Fisher–Yates over a seeded stream). */
    public static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
