package dev.herd.llama.generate;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowScan} over the widest float vectors the CPU has (16 lanes with AVX-512): at 32 rows of a 128k
 * vocabulary a sampled step makes ~4 passes over 16 MB, which in scalar loops (or through libtorch's softmax and
 * a radix selection) cost more than the model's step. Loaded only through {@link RowScan#get()} when the JVM has
 * the {@code jdk.incubator.vector} module.
 */
final class VectorRowScan implements RowScan {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int LANES = S.length();
    /**
     * Elements per float partial sum (a multiple of any vector length); the partial sums are added in double. The
     * weights pass takes them as {@link RowBlocks}' blocks.
     */
    private static final int SUM_BLOCK = RowBlocks.SIZE;
    /**
     * The bits of 127f, where z = −y is clamped: there k = −127, whose 2^k has all exponent bits zero, the float 0.
     * For floats from +0 to +∞ the bits, as ints, order as the values do, so one integer MIN clamps.
     */
    private static final int Z_LIMIT = Float.floatToRawIntBits(127f);
    /**
     * 1.5·2²³ + 127: adding it to y rounds y + 127 to an integer, held in the low mantissa bits (a float of
     * magnitude 1.5·2²³ has no fraction bits left), so those bits shifted up by 23 are 2^k's float with its
     * exponent bias already in: the rounding constant's own bits (0x4B40_0000) overflow out of the shift.
     */
    private static final float ROUNDER = 12_582_912f + 127;
    /**
     * 2^f ≈ 1 + f·(D1 + f·(D2 + f·(D3 + f·(D4 + f·D5)))) on [−½, ½]: the minimax polynomial of degree 5 for the
     * relative error with 1 exact at f = 0 (Lawson's iteration over 4,001 Chebyshev points), 9.2e-8 in real
     * arithmetic and 1.6e-7 evaluated in floats, where Taylor's degree 6 (one more FMA) gave 2.2e-7.
     */
    private static final float D1 = 0.6931470036506653f;
    private static final float D2 = 0.24022242426872253f;
    private static final float D3 = 0.05550733581185341f;
    private static final float D4 = 0.009671512991189957f;
    private static final float D5 = 0.001326472731307149f;
    /** Floats (16 KB) copied at a time by {@link #copyMax}: half of a first-level data cache. */
    private static final int COPY_CHUNK = 4096;
    /** The share of a row's weight that {@link #ahead}'s early stop leaves for the rounding of its sums. */
    private static final double MARGIN = 1e-5;
    /** Elements the walk skips at once when their members' weight keeps it below the target (two vectors divide it). */
    private static final int WALK_BLOCK = 256;

    @Override
    public int indexOf(float[] x, int o, int n, float v) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            VectorMask<Float> hit = FloatVector.fromArray(S, x, o + i).compare(VectorOperators.EQ, v);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        for (; i < n; i++) {
            if (x[o + i] == v) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public float max(float[] x, int o, int n) {
        // Four running maxima: a float MAX with Java's semantics (NaN wins, −0 < +0) is a chain of several
        // instructions, and one accumulator made the pass wait on it (22 against ~6 µs for 128k floats here).
        int bound4 = n - n % (4 * LANES);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        for (int i = 0; i < bound4; i += 4 * LANES) {
            m0 = m0.max(FloatVector.fromArray(S, x, o + i));
            m1 = m1.max(FloatVector.fromArray(S, x, o + i + LANES));
            m2 = m2.max(FloatVector.fromArray(S, x, o + i + 2 * LANES));
            m3 = m3.max(FloatVector.fromArray(S, x, o + i + 3 * LANES));
        }
        int bound = S.loopBound(n);
        for (int i = bound4; i < bound; i += LANES) {
            m0 = m0.max(FloatVector.fromArray(S, x, o + i));
        }
        float max = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (int i = bound; i < n; i++) {
            max = Math.max(max, x[o + i]);
        }
        return max;
    }

    @Override
    public float copyMax(FloatBuffer src, int so, int n, float[] dst) {
        float max = Float.NEGATIVE_INFINITY;
        for (int start = 0; start < n; start += COPY_CHUNK) {
            int len = Math.min(COPY_CHUNK, n - start);
            src.get(so + start, dst, start, len);
            max = Math.max(max, max(dst, start, len));                   // NaN, once seen, stays
        }
        return max;
    }

    @Override
    public double weights(float[] logits, int lo, int n, float max, float inverseTemperature, float[] w, int wo,
                          RowBlocks blocks) {
        int bound = S.loopBound(n);
        blocks.reset(n);
        if (!Float.isFinite(max)) {
            java.util.Arrays.fill(w, wo, wo + n, 0f);
            return 0;
        }
        // exp((l − max)/T) = 2^y with y = (l − max)/T·log2(e) ≤ 0, as 2^k·2^f: k the nearest integer, found (like
        // its bits) by adding ROUNDER; 2^f for |f| ≤ ½ by a polynomial (relative error 1.6e-7, below y's own
        // rounding). Only adds, multiplies and bit operations, which every vector unit has: the JDK's EXP is as
        // fast here but falls back to one Math.exp a lane where the CPU lacks its intrinsic. Below k = −127
        // (beyond the normal floats) a weight is 0: a logit of −∞ is never drawn. The pass holds z = −y =
        // (max − l)·c, never below +0 (each operation rounds a non-negative number to a non-negative one; at the
        // maximum it is +0, which weighs exactly 1), so one integer MIN on its bits clamps it. An FMA l·c − max·c,
        // one operation fewer, shifts every y by the rounding of max·c, and a y it leaves above 0 would need
        // Java's float MAX to clamp, a chain of instructions (NaN- and −0-aware): that way, with Taylor's degree
        // 6, a 128k row took a fifth longer (41–52 against 32–45 µs, 32 rows alternated in one process).
        float c = (float) (inverseTemperature / Math.log(2));
        FloatVector scale = FloatVector.broadcast(S, c);
        FloatVector maximum = FloatVector.broadcast(S, max);
        FloatVector rounder = FloatVector.broadcast(S, ROUNDER);   // the constants as locals: kept in registers
        IntVector zLimit = IntVector.broadcast(I, Z_LIMIT);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector d1 = FloatVector.broadcast(S, D1);
        FloatVector d2 = FloatVector.broadcast(S, D2);
        FloatVector d3 = FloatVector.broadcast(S, D3);
        FloatVector d4 = FloatVector.broadcast(S, D4);
        FloatVector d5 = FloatVector.broadcast(S, D5);
        double total = 0;
        for (int start = 0; start < bound; start += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            // The block's largest weight, as int bits: weights are never negative or NaN, and for such floats the
            // bits order as the values do, so one integer MAX does (Java's float MAX, NaN- and −0-aware, is a chain).
            IntVector top = IntVector.zero(I);
            for (int i = start, end = Math.min(bound, start + SUM_BLOCK); i < end; i += LANES) {
                FloatVector z = maximum.sub(FloatVector.fromArray(S, logits, lo + i)).mul(scale)
                        .reinterpretAsInts().min(zLimit).reinterpretAsFloats();                  // −y in [+0, 127]
                FloatVector t = rounder.sub(z);                          // 127 + k in the low bits of t's mantissa
                FloatVector f = rounder.sub(t).sub(z);                   // y − k in [−½, ½]
                FloatVector p = f.fma(d5, d4).fma(f, d3).fma(f, d2).fma(f, d1).fma(f, one);
                FloatVector twoToK = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = p.mul(twoToK);
                e.intoArray(w, wo + i);
                acc = acc.add(e);
                top = top.max(e.reinterpretAsInts());
            }
            double sum = acc.reduceLanes(VectorOperators.ADD);
            total += sum;
            blocks.sum[start / SUM_BLOCK] = sum;
            blocks.max[start / SUM_BLOCK] = Float.intBitsToFloat(top.reduceLanes(VectorOperators.MAX));
        }
        blocks.total = total;
        for (int i = bound; i < n; i++) {
            w[wo + i] = (float) Math.exp((logits[lo + i] - max) * inverseTemperature);
            total += w[wo + i];
            blocks.add(i, w[wo + i]);
        }
        return total;
    }

    @Override
    public int walk(float[] w, int wo, int n, float v, int j, double target, RowBlocks blocks) {
        FloatVector vv = FloatVector.broadcast(S, v);
        double cum = 0;
        for (int from = 0; from < n; from += RowBlocks.SIZE) {
            int to = Math.min(n, from + RowBlocks.SIZE);
            if (blocks != null) {
                int k = from / RowBlocks.SIZE;
                if (blocks.max[k] < v) {
                    continue;                                    // no member: nothing here is above v
                }
                if (v == 0f && cum + blocks.sum[k] <= target) {
                    cum += blocks.sum[k];                        // v = 0: every weight is a member's (or zero)
                    continue;
                }
            }
            for (int start = from; start < to; start += WALK_BLOCK) {
                int end = Math.min(to, start + WALK_BLOCK);
                if (end - start == WALK_BLOCK && (end <= j || start >= j)) {
                    // A whole block on one side of j: its members' weight in one vector pass; skipped if the walk
                    // does not end inside it.
                    double sum = massOf(w, wo + start, WALK_BLOCK, vv, end <= j);
                    if (cum + sum <= target) {
                        cum += sum;
                        continue;
                    }
                }
                for (int i = start; i < end; i++) {
                    float x = w[wo + i];
                    if (x > v || (x == v && i < j)) {
                        cum += x;
                        if (cum > target) {
                            return i;
                        }
                    }
                }
            }
        }
        for (int i = n - 1; i >= 0; i--) {          // rounding kept the sum at or below the target: the last member
            float x = w[wo + i];
            if (x > v || (x == v && i < j)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Ahead ahead(float[] w, int wo, int n, int t, boolean count, RowBlocks blocks, double limit) {
        float v = w[wo + t];
        FloatVector vv = FloatVector.broadcast(S, v);
        if (blocks == null) {
            return new Ahead(massAhead(w, wo, 0, n, t, v, vv), count ? countAhead(w, wo, 0, n, t, v, vv) : 0);
        }
        // Every block's weight is ahead of t or behind it, so the row's weight less the weight seen behind bounds
        // the mass ahead; once that bound (raised by a margin for the float sums' rounding) is below the limit, the
        // rest need not be read. On a nearly flat row at top-p 0.9 that is about a third of the row on average.
        double bound = blocks.total + MARGIN * blocks.total;
        double mass = 0;
        double behind = 0;
        int c = 0;
        for (int from = 0, k = 0; from < n; from += RowBlocks.SIZE, k++) {
            if (blocks.max[k] < v) {
                behind += blocks.sum[k];                         // nothing here is ordered ahead of t
            } else {
                int to = Math.min(n, from + RowBlocks.SIZE);
                double ahead = massAhead(w, wo, from, to, t, v, vv);
                mass += ahead;
                behind += blocks.sum[k] - ahead;
                c += count ? countAhead(w, wo, from, to, t, v, vv) : 0;
            }
            if (!count && bound - behind < limit) {
                return new Ahead(bound - behind, 0);
            }
        }
        return new Ahead(mass, c);
    }

    /** The weight of the members of S(v, t) among ids [from, to): ids below t at or above v, the others above it. */
    private static double massAhead(float[] w, int wo, int from, int to, int t, float v, FloatVector vv) {
        int split = Math.max(from, Math.min(to, t));
        return massIn(w, wo, from, split, v, vv, true) + massIn(w, wo, split, to, v, vv, false);
    }

    /** How many members of S(v, t) are among ids [from, to). */
    private static int countAhead(float[] w, int wo, int from, int to, int t, float v, FloatVector vv) {
        int split = Math.max(from, Math.min(to, t));
        return countIn(w, wo, from, split, v, vv, true) + countIn(w, wo, split, to, v, vv, false);
    }

    /** The weight of the elements ≥ v ({@code atLeast}) or &gt; v among w[wo + from, wo + to), of any length. */
    private static double massIn(float[] w, int wo, int from, int to, float v, FloatVector vv, boolean atLeast) {
        int vectors = (to - from) - (to - from) % (2 * LANES);
        double mass = massOf(w, wo + from, vectors, vv, atLeast);
        for (int i = from + vectors; i < to; i++) {
            float x = w[wo + i];
            if (atLeast ? x >= v : x > v) {
                mass += x;
            }
        }
        return mass;
    }

    /** How many of w[wo + from, wo + to) are ≥ v ({@code atLeast}) or &gt; v. */
    private static int countIn(float[] w, int wo, int from, int to, float v, FloatVector vv, boolean atLeast) {
        int vectors = (to - from) - (to - from) % LANES;
        int c = countOf(w, wo + from, vectors, vv, atLeast);
        for (int i = from + vectors; i < to; i++) {
            float x = w[wo + i];
            if (atLeast ? x >= v : x > v) {
                c++;
            }
        }
        return c;
    }

    /**
     * The weight of the elements ≥ v ({@code atLeast}) or &gt; v among {@code w[from, from + len)}, len a multiple of
     * two vectors: two running sums (a masked add waits on the previous one), each block's added in double.
     */
    private static double massOf(float[] w, int from, int len, FloatVector vv, boolean atLeast) {
        double mass = 0;
        for (int start = 0; start < len; start += SUM_BLOCK) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            for (int i = from + start, end = from + Math.min(len, start + SUM_BLOCK); i < end; i += 2 * LANES) {
                FloatVector x0 = FloatVector.fromArray(S, w, i);
                FloatVector x1 = FloatVector.fromArray(S, w, i + LANES);
                a0 = a0.add(x0, atLeast ? x0.compare(VectorOperators.GE, vv) : x0.compare(VectorOperators.GT, vv));
                a1 = a1.add(x1, atLeast ? x1.compare(VectorOperators.GE, vv) : x1.compare(VectorOperators.GT, vv));
            }
            mass += a0.add(a1).reduceLanes(VectorOperators.ADD);
        }
        return mass;
    }

    /** How many of {@code w[from, from + len)} are ≥ v ({@code atLeast}) or &gt; v. */
    private static int countOf(float[] w, int from, int len, FloatVector vv, boolean atLeast) {
        int count = 0;
        for (int i = from; i < from + len; i += LANES) {
            FloatVector x = FloatVector.fromArray(S, w, i);
            count += (atLeast ? x.compare(VectorOperators.GE, vv) : x.compare(VectorOperators.GT, vv)).trueCount();
        }
        return count;
    }
}
