package dev.herd.llama.generate;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Picks one row's next token: greedy, or temperature with top-k and top-p (nucleus) filtering, drawn from the
 * request's own seeded stream.
 *
 * <p>Sampling works on probabilities (the softmax of logits / temperature, computed for a whole batch on the
 * device by {@link NextTokens}). The kept set is the first tokens in (probability descending, id ascending)
 * order: at most top-k of them, and no more than the shortest prefix whose mass reaches top-p. It is found by a
 * radix selection over the probabilities' float bits — linear in the vocabulary, where sorting 128k tokens per
 * row and step cost more than the model. The draw is the inverse CDF over the kept tokens in id order: a
 * different order from a sorted walk, the same distribution.
 */
public final class TokenSampler {

    private final SamplingParams params;
    private final SplittableRandom random;

    public TokenSampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public boolean isGreedy() {
        return params.isGreedy();
    }

    public double temperature() {
        return params.temperature();
    }

    /**
     * As {@link #draw(float[], int, int)} over a buffer, read with absolute gets only (rows of one buffer may be
     * drawn by several threads): {@link NextTokens} passes the device's probabilities in place. A direct buffer's
     * row is first copied into this thread's scratch array (one bulk copy; the selection's passes then read an
     * array, which the JIT compiles to plain loads).
     */
    public int draw(FloatBuffer probs, int offset, int vocab) {
        if (probs.hasArray()) {
            return draw(probs.array(), probs.arrayOffset() + offset, vocab);
        }
        float[] row = ROW.get();
        if (row.length < vocab) {
            row = new float[vocab];
            ROW.set(row);
        }
        probs.get(offset, row, 0, vocab);
        return draw(row, 0, vocab);
    }

    /** Each drawing thread's copy of the row it draws from (see {@link #draw(FloatBuffer, int, int)}). */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Draws from the row {@code probs[offset, offset + vocab)}: probabilities of logits / temperature (they need
     * not sum to exactly 1). Consumes exactly one number of the stream whatever the filtering keeps.
     */
    public int draw(float[] probs, int offset, int vocab) {
        double u = random.nextDouble();
        int k = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        Cut cut = k >= vocab && params.topP() >= 1 ? Cut.all(probs, offset, vocab) : Cut.find(probs, offset, vocab, k, params.topP());
        double target = u * cut.mass();
        double cum = 0;
        int last = -1;
        int ties = cut.ties();
        for (int i = 0; i < vocab; i++) {
            float p = probs[offset + i];
            if (p > cut.value() || (p == cut.value() && ties-- > 0)) {
                cum += p;
                last = i;
                if (cum > target) {
                    return i;
                }
            }
        }
        return last >= 0 ? last : argMax(probs, offset, vocab);
    }

    /**
     * The kept set: every token above {@code value}, and the {@code ties} lowest ids among those exactly at it;
     * {@code mass} is their total probability.
     */
    record Cut(float value, int ties, double mass) {

        /**
         * Field widths of the radix passes over a positive float's bits: 16 + 8 + 8. The first pass reads the
         * whole row, so it splits finely (exponent and 7 mantissa bits): even a nearly flat distribution then
         * leaves few tokens in the boundary bucket for the later passes.
         */
        private static final int[] SHIFTS = {16, 8, 0};
        private static final int[] WIDTHS = {16, 8, 8};

        /**
         * Each drawing thread's histogram (2^16 counts and masses, ~786 KB), reused across rows and steps: zeroing
         * a fresh one per row cost more than the selection itself with a small vocabulary.
         */
        private static final ThreadLocal<Histogram> HISTOGRAM = ThreadLocal.withInitial(Histogram::new);

        private static final class Histogram {
            final int[] count = new int[1 << 16];
            final double[] mass = new double[1 << 16];
        }

        /** Keeps every token (−1 is below any probability). */
        static Cut all(float[] probs, int offset, int vocab) {
            double mass = 0;
            for (int i = 0; i < vocab; i++) {
                mass += probs[offset + i];
            }
            return new Cut(-1f, 0, mass);
        }

        /**
         * Walks the tokens in (probability descending, id ascending) order without sorting: each pass histograms
         * the next field of the bits (for positive floats the bit pattern orders like the value) among the tokens
         * whose higher fields equal the prefix found so far, and descends into the bucket where the count
         * reaches {@code k} or the mass reaches {@code topP}. Only the first pass reads the whole row; the later
         * ones read the members of the chosen bucket.
         */
        static Cut find(float[] probs, int offset, int vocab, int k, double topP) {
            Histogram h = HISTOGRAM.get();
            int[] members = null;           // ids in the current bucket, ascending; null = the whole row
            int size = vocab;
            int prefix = 0;
            int countAbove = 0;
            double massAbove = 0;
            for (int level = 0; level < SHIFTS.length; level++) {
                int shift = SHIFTS[level];
                int mask = (1 << WIDTHS[level]) - 1;
                int[] count = h.count;
                double[] mass = h.mass;
                int top = -1;                   // the highest bucket holding a token: the walk down starts there
                for (int j = 0; j < size; j++) {
                    float p = probs[offset + (members == null ? j : members[j])];
                    if (p > 0) {                                         // zero can never be drawn
                        int c = (Float.floatToRawIntBits(p) >>> shift) & mask;
                        count[c]++;
                        mass[c] += p;
                        top = Math.max(top, c);
                    }
                }
                int c = top;
                while (c >= 0 && countAbove + count[c] < k && massAbove + mass[c] < topP) {
                    countAbove += count[c];
                    massAbove += mass[c];
                    c--;
                }
                int[] next = c < 0 ? null : new int[count[c]];
                int n = 0;
                // One more pass over the same tokens: collect the chosen bucket's members and zero every bucket
                // this level touched, so the (reused) histogram is clean for the next level and the next row
                // without clearing all 2^16 buckets.
                for (int j = 0; j < size; j++) {
                    int id = members == null ? j : members[j];
                    float p = probs[offset + id];
                    if (p > 0) {
                        int b = (Float.floatToRawIntBits(p) >>> shift) & mask;
                        count[b] = 0;
                        mass[b] = 0;
                        if (b == c) {
                            next[n++] = id;
                        }
                    }
                }
                if (c < 0) {
                    return all(probs, offset, vocab);      // rounding left the whole row short of top-p
                }
                prefix = (prefix << WIDTHS[level]) | c;
                members = next;
                size = n;
            }
            // The members now all hold exactly the boundary value: take them, lowest ids first, until the count
            // or the mass is reached.
            float value = Float.intBitsToFloat(prefix);
            int ties = 0;
            while (ties < size && countAbove < k && massAbove < topP) {
                ties++;
                countAbove++;
                massAbove += value;
            }
            return new Cut(value, ties, massAbove);
        }
    }

    static int argMax(float[] values, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
