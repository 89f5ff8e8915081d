package dev.herd.llama.generate;

import java.util.Arrays;

/**
 * The sum and the largest value of each block of {@link #SIZE} consecutive weights of a row, taken by
 * {@link RowScan#weights} while the weights are in registers. With them a draw's walk skips whole blocks by
 * their sum instead of reading them, and the walks over S(v, j) skip blocks with no weight at or above v: on a
 * 32 × 128k batch step these passes read the rows (16 MB) again after the weights were written.
 */
final class RowBlocks {

    /** Weights per block: a multiple of any vector length and of the walk's inner block. */
    static final int SIZE = 512;

    /** Σ of each block's weights, [count]. */
    double[] sum = new double[0];
    /** The largest weight of each block (0 for a block of zeros), [count]. */
    float[] max = new float[0];
    /** Blocks in the row: ⌈n / SIZE⌉. */
    int count;
    /** Σ of the blocks' sums: the row's weight. */
    double total;

    /** Makes room for a row of n weights, every block's sum and maximum 0. */
    void reset(int n) {
        count = (n + SIZE - 1) / SIZE;
        total = 0;
        if (sum.length < count) {
            sum = new double[count];
            max = new float[count];
        } else {
            Arrays.fill(sum, 0, count, 0);
            Arrays.fill(max, 0, count, 0f);
        }
    }

    /** Adds the weight of element i to its block (the scalar tail of a row). */
    void add(int i, float weight) {
        sum[i / SIZE] += weight;
        total += weight;
        max[i / SIZE] = Math.max(max[i / SIZE], weight);
    }
}
