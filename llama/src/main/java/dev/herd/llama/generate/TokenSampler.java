package dev.herd.llama.generate;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Picks one row's next token: greedy, or temperature with top-k and top-p (nucleus) filtering, drawn from the
 * request's own seeded stream.
 *
 * <p>The kept set is the first tokens in (probability descending, id ascending) order: at most top-k of them, and
 * no more than the shortest prefix whose mass reaches top-p. A draw never sorts or even finds that set: it draws
 * from all tokens by the inverse CDF in id order, then accepts the token if the tokens ordered ahead of it number
 * fewer than top-k and hold less than top-p of the mass; otherwise it draws again from just those tokens ahead (a
 * set that still holds the whole kept set). Each round draws the kept set's tokens in proportion to their probabilities,
 * so the accepted token follows the renormalized nucleus exactly, as in FlashInfer's rejection sampling; each
 * round is two linear passes ({@link RowScan}) and a nucleus holding most of the mass — a flat distribution as
 * much as a peaked one — accepts in about one. After {@link #ROUNDS} rejected draws (a small top-k over a flat row)
 * the kept set is found by a radix selection over the weights' float bits, and drawn from directly.
 *
 * <p>Each round (and the selection) takes one number of the request's own stream, so the same seed draws the same
 * tokens whatever else is in the batch.
 */
public final class TokenSampler {

    /** Rejected draws after which the kept set is selected instead (a round costs ~1.5 passes, the selection ~5). */
    static final int ROUNDS = 4;

    private final SamplingParams params;
    private final SplittableRandom random;
    private final RowScan scan;

    public TokenSampler(SamplingParams params) {
        this(params, RowScan.get());
    }

    TokenSampler(SamplingParams params, RowScan scan) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.scan = scan;
    }

    public boolean isGreedy() {
        return params.isGreedy();
    }

    public double temperature() {
        return params.temperature();
    }

    /**
     * Draws from the row {@code logits[offset, offset + vocab)} at this sampler's temperature (the caller's array
     * is left as it was).
     */
    public int sample(float[] logits, int offset, int vocab) {
        float[] w = scratch(vocab);
        RowBlocks blocks = BLOCKS.get();
        float max = scan.max(logits, offset, vocab);
        double total = scan.weights(logits, offset, vocab, max, (float) (1.0 / params.temperature()), w, 0, blocks);
        return drawWeights(w, 0, vocab, total, blocks);
    }

    /**
     * As {@link #sample(float[], int, int)} from a buffer, read with absolute gets only (rows of one buffer may be
     * drawn by several threads): {@link NextTokens} passes the device's logits in place. The row is copied into
     * this thread's scratch array, where its weights then replace it.
     */
    public int sample(FloatBuffer logits, int offset, int vocab) {
        float[] w = scratch(vocab);
        RowBlocks blocks = BLOCKS.get();
        float max = scan.copyMax(logits, offset, vocab, w);
        double total = scan.weights(w, 0, vocab, max, (float) (1.0 / params.temperature()), w, 0, blocks);
        return drawWeights(w, 0, vocab, total, blocks);
    }

    /**
     * Draws from the row {@code probs[offset, offset + vocab)} of probabilities, or of any non-negative weights
     * proportional to them.
     */
    public int draw(float[] probs, int offset, int vocab) {
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            total += probs[offset + i];
        }
        return drawWeights(probs, offset, vocab, total, null);
    }

    /** Each drawing thread's row of weights (see {@link #sample(FloatBuffer, int, int)}). */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);
    /** Each drawing thread's summary of its row's weights. */
    private static final ThreadLocal<RowBlocks> BLOCKS = ThreadLocal.withInitial(RowBlocks::new);

    private static float[] scratch(int vocab) {
        float[] row = ROW.get();
        if (row.length < vocab) {
            row = new float[vocab];
            ROW.set(row);
        }
        return row;
    }

    /** The rejection draw of the class comment over weights summing to {@code total} (blocks: theirs, or null). */
    private int drawWeights(float[] w, int offset, int vocab, double total, RowBlocks blocks) {
        int k = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        boolean filtered = k < vocab || params.topP() < 1;
        double limit = params.topP() * total;          // the mass ahead of a kept token is below this
        float v = 0f;                                  // S(v, j) (see RowScan): first every token of positive weight
        int j = 0;
        double mass = total;
        for (int round = 0; round < ROUNDS; round++) {
            int t = scan.walk(w, offset, vocab, v, j, random.nextDouble() * mass, blocks);
            if (t < 0) {
                return argMax(w, offset, vocab);       // no positive weight at all (logits all −∞ or NaN)
            }
            if (!filtered) {
                return t;
            }
            RowScan.Ahead ahead = scan.ahead(w, offset, vocab, t, k < vocab, blocks, limit);
            if (ahead.count() < k && ahead.mass() < limit) {
                return t;
            }
            v = w[offset + t];
            j = t;
            mass = ahead.mass();
        }
        Cut cut = Cut.find(w, offset, vocab, k, limit);
        double target = random.nextDouble() * cut.mass();
        double cum = 0;
        int last = -1;
        int ties = cut.ties();
        for (int i = 0; i < vocab; i++) {
            float p = w[offset + i];
            if (p > cut.value() || (p == cut.value() && ties-- > 0)) {
                cum += p;
                last = i;
                if (cum > target) {
                    return i;
                }
            }
        }
        return last >= 0 ? last : argMax(w, offset, vocab);
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

    /**
     * The first index of the largest of {@code logits}: the greedy choice, as {@code torch.argmax} makes it (0 for a
     * row of NaN). The maximum by {@link RowScan}'s vector pass, then the first index holding it by another.
     */
    public static int argMax(float[] logits) {
        return argMax(logits, 0, logits.length);
    }

    /** As {@link #argMax(float[])} over the row logits[offset, offset + vocab). */
    public static int argMax(float[] logits, int offset, int vocab) {
        RowScan scan = RowScan.get();
        return Math.max(0, scan.indexOf(logits, offset, vocab, scan.max(logits, offset, vocab)));
    }
}
