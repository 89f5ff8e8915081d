package dev.herd.llama.generate;

import dev.herd.llama.VectorDecoder;
import java.nio.FloatBuffer;

/**
 * The passes a draw makes over one row of a vocabulary, each linear and branch-free enough to run on the CPU's
 * vector units: the weights exp((logit − max) / T), then the walks of {@link TokenSampler}'s rejection draw.
 *
 * <p>A draw works on a set S(v, j) of the row's tokens: those whose weight is above {@code v}, and those exactly
 * at {@code v} with an id below {@code j}. These are the tokens ordered ahead of token j in (weight descending, id
 * ascending) order when {@code v} is its weight, and every token of positive weight when {@code v = 0, j = 0}.
 */
interface RowScan {

    /**
     * The vectorized passes when this JVM has the Vector API (see {@link VectorDecoder#available()}), else plain
     * loops.
     */
    static RowScan get() {
        return VectorDecoder.available() ? VectorHolder.SCAN : ScalarRowScan.INSTANCE;
    }

    /** The largest of {@code x[o, o + n)} (−∞ for none, NaN if any is). */
    float max(float[] x, int o, int n);

    /** The first i &lt; n with {@code x[o + i] == v}; -1 if none (always for NaN). */
    int indexOf(float[] x, int o, int n, float v);

    /**
     * Copies {@code src[so, so + n)} into {@code dst[0, n)} and returns its largest value, in chunks small enough
     * that each is still in the core's first-level cache when its maximum is taken (the buffer's memory, fresh from
     * the LM head and mostly out of the caches, is read once).
     */
    float copyMax(FloatBuffer src, int so, int n, float[] dst);

    /**
     * w[wo + i] = exp((logits[lo + i] − max) · inverseTemperature) for i &lt; n, where {@code max} is the row's
     * largest logit; {@code w} may be {@code logits} itself (same offsets). Without a finite maximum the row gets
     * all zeros.
     *
     * @param blocks where each block's sum and maximum go (see {@link RowBlocks})
     * @return Σ w
     */
    double weights(float[] logits, int lo, int n, float max, float inverseTemperature, float[] w, int wo, RowBlocks blocks);

    /**
     * The member of S(v, j) at which the cumulative weight, in id order, first exceeds {@code target}; the last
     * member where rounding keeps the whole sum at or below it; −1 for an empty set. Where {@code blocks} (summarizing
     * these weights) are given, blocks without a member are not read, nor, for v = 0, the blocks the walk passes.
     */
    int walk(float[] w, int wo, int n, float v, int j, double target, RowBlocks blocks);

    /**
     * The mass and size of S(w[t], t): the tokens ordered ahead of token t. The size is counted only if
     * {@code count} (only a top-k needs it); otherwise it is 0. Where {@code blocks} (summarizing these weights)
     * are given, blocks with no weight at or above w[t] are not read, and without a count the pass may stop once
     * the weight it has seen behind t leaves less than {@code limit} for the tokens ahead: the mass returned is
     * then that bound, already below {@code limit}, rather than the exact mass.
     */
    Ahead ahead(float[] w, int wo, int n, int t, boolean count, RowBlocks blocks, double limit);

    record Ahead(double mass, int count) {}

    /** Loads the vector class only where its module is present (a JVM without it never resolves the class). */
    final class VectorHolder {
        static final RowScan SCAN = new VectorRowScan();

        private VectorHolder() {}
    }
}
