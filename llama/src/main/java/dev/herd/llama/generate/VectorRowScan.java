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
    private static final int LANES = S.length();
    /** Elements per float partial sum (a multiple of any vector length); the partial sums are added in double. */
    private static final int SUM_BLOCK = 1024;
    /** Where y is clamped: there k = −127, whose 2^k has all exponent bits zero, the float 0. */
    private static final FloatVector LOWEST = FloatVector.broadcast(S, -127f);
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer, held in the low mantissa bits. */
    private static final FloatVector ROUNDER = FloatVector.broadcast(S, 12_582_912f);
    /** Turns those bits (k + 0x4B400000) into k's biased exponent, 127 + k. */
    private static final IntVector EXPONENT_BIAS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 127 - 0x4B40_0000);
    /** (ln 2)ⁿ / n!: the Taylor coefficients of 2^f. */
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector C1 = FloatVector.broadcast(S, (float) Math.log(2));
    private static final FloatVector C2 = FloatVector.broadcast(S, (float) (Math.pow(Math.log(2), 2) / 2));
    private static final FloatVector C3 = FloatVector.broadcast(S, (float) (Math.pow(Math.log(2), 3) / 6));
    private static final FloatVector C4 = FloatVector.broadcast(S, (float) (Math.pow(Math.log(2), 4) / 24));
    private static final FloatVector C5 = FloatVector.broadcast(S, (float) (Math.pow(Math.log(2), 5) / 120));
    private static final FloatVector C6 = FloatVector.broadcast(S, (float) (Math.pow(Math.log(2), 6) / 720));
    /** Floats (16 KB) copied at a time by {@link #copyMax}: half of a first-level data cache. */
    private static final int COPY_CHUNK = 4096;
    /** Elements the walk skips at once when their members' weight keeps it below the target. */
    private static final int WALK_BLOCK = 256;

    @Override
    public float max(float[] x, int o, int n) {
        int bound = S.loopBound(n);
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < bound; i += LANES) {
            mv = mv.max(FloatVector.fromArray(S, x, o + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
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
            float m = max(dst, start, len);
            max = Float.isNaN(m) ? m : Math.max(max, m);
        }
        return max;
    }

    @Override
    public double weights(float[] logits, int lo, int n, float max, float inverseTemperature, float[] w, int wo) {
        int bound = S.loopBound(n);
        if (!Float.isFinite(max)) {
            java.util.Arrays.fill(w, wo, wo + n, 0f);
            return 0;
        }
        // exp(z) = 2^y with y = z·log2(e) ≤ 0, as 2^k·2^f: k the nearest integer, found (like its bits) by adding
        // 1.5·2²³, where a float has no fraction bits left; 2^f for |f| ≤ ½ by its Taylor polynomial of degree 6
        // (relative error ≤ 1.2e-7, below y's own rounding). Only adds, multiplies and bit shifts, which every
        // vector unit has: the JDK's EXP is as fast here but falls back to one Math.exp a lane where the CPU
        // lacks its intrinsic. Below about 2⁻¹²⁶·⁵ (beyond the normal floats) a weight is 0: a logit of −∞ is never drawn.
        float c = (float) (inverseTemperature / Math.log(2));
        FloatVector scale = FloatVector.broadcast(S, c);
        FloatVector shift = FloatVector.broadcast(S, -max * c);
        double total = 0;
        for (int start = 0; start < bound; start += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = start, end = Math.min(bound, start + SUM_BLOCK); i < end; i += LANES) {
                FloatVector y = FloatVector.fromArray(S, logits, lo + i).fma(scale, shift);             // ≤ 0
                y = y.max(LOWEST);
                FloatVector t = y.add(ROUNDER);                          // k in the low bits of t's mantissa
                FloatVector f = y.sub(t.sub(ROUNDER));                   // y − k in [−½, ½]
                FloatVector p = f.fma(C6, C5).fma(f, C4).fma(f, C3).fma(f, C2).fma(f, C1).fma(f, ONE);
                FloatVector twoToK = t.reinterpretAsInts().add(EXPONENT_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector e = p.mul(twoToK);
                e.intoArray(w, wo + i);
                acc = acc.add(e);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (int i = bound; i < n; i++) {
            w[wo + i] = (float) Math.exp((logits[lo + i] - max) * inverseTemperature);
            total += w[wo + i];
        }
        return total;
    }

    @Override
    public int walk(float[] w, int wo, int n, float v, int j, double target) {
        FloatVector vv = FloatVector.broadcast(S, v);
        double cum = 0;
        for (int start = 0; start < n; start += WALK_BLOCK) {
            int end = Math.min(n, start + WALK_BLOCK);
            if (end - start == WALK_BLOCK && (end <= j || start >= j)) {
                // A whole block on one side of j: its members' weight in one vector pass; skipped if the walk
                // does not end inside it.
                FloatVector acc = FloatVector.zero(S);
                if (end <= j) {
                    for (int i = start; i < end; i += LANES) {
                        FloatVector x = FloatVector.fromArray(S, w, wo + i);
                        acc = acc.add(x, x.compare(VectorOperators.GE, vv));
                    }
                } else {
                    for (int i = start; i < end; i += LANES) {
                        FloatVector x = FloatVector.fromArray(S, w, wo + i);
                        acc = acc.add(x, x.compare(VectorOperators.GT, vv));
                    }
                }
                float sum = acc.reduceLanes(VectorOperators.ADD);
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
        for (int i = n - 1; i >= 0; i--) {          // rounding kept the sum at or below the target: the last member
            float x = w[wo + i];
            if (x > v || (x == v && i < j)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Ahead ahead(float[] w, int wo, int n, int t) {
        float v = w[wo + t];
        FloatVector vv = FloatVector.broadcast(S, v);
        double mass = 0;
        int count = 0;
        // Ids below t count at v too (ties go to the lower id); from t on only above it.
        int tieBound = t - (t % LANES);
        for (int start = 0; start < tieBound; start += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = start, end = Math.min(tieBound, start + SUM_BLOCK); i < end; i += LANES) {
                FloatVector x = FloatVector.fromArray(S, w, wo + i);
                VectorMask<Float> ahead = x.compare(VectorOperators.GE, vv);
                acc = acc.add(x, ahead);
                count += ahead.trueCount();
            }
            mass += acc.reduceLanes(VectorOperators.ADD);
        }
        int i = tieBound;
        for (; i < t; i++) {
            if (w[wo + i] >= v) {
                mass += w[wo + i];
                count++;
            }
        }
        int bound = i + S.loopBound(n - i);
        for (int start = i; start < bound; start += SUM_BLOCK) {
            FloatVector acc = FloatVector.zero(S);
            for (int k = start, end = Math.min(bound, start + SUM_BLOCK); k < end; k += LANES) {
                FloatVector x = FloatVector.fromArray(S, w, wo + k);
                VectorMask<Float> ahead = x.compare(VectorOperators.GT, vv);
                acc = acc.add(x, ahead);
                count += ahead.trueCount();
            }
            mass += acc.reduceLanes(VectorOperators.ADD);
        }
        for (int k = bound; k < n; k++) {
            if (w[wo + k] > v) {
                mass += w[wo + k];
                count++;
            }
        }
        return new Ahead(mass, count);
    }
}
