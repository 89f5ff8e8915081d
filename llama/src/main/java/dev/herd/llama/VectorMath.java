package dev.herd.llama;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The few loops of {@link VectorDecoder} that carry its arithmetic, over the widest float vectors the CPU has
 * (16 lanes with AVX-512). Only this class and the sampler's {@code VectorRowScan} touch the incubating
 * {@code jdk.incubator.vector} module, and both load only when it is present, so the rest of Herd loads and runs
 * on a JVM started without it.
 */
final class VectorMath {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /** Matrix size (floats, 2 MB) from which {@link #matVecParallel} splits the rows. */
    private static final long PARALLEL_FLOATS = 1 << 19;

    private VectorMath() {}

    /**
     * y = w·x for a row-major [rows, cols] matrix (HF's [out, in]), with the rows split over the CPU's cores (the
     * calling thread and the common fork-join pool) when the matrix is large enough to repay the hand-off
     * (~10 µs): one core alone does not draw all the memory bandwidth a large matrix (a 128k-row LM head) needs.
     *
     * @param w [rows, cols]
     * @param x [cols]
     * @param y [rows], overwritten
     */
    static void matVecParallel(float[] w, float[] x, float[] y, int rows, int cols) {
        int parts = (int) Math.min(CORES, (long) rows * cols / PARALLEL_FLOATS);
        if (parts < 2) {
            matVec(w, x, y, 0, rows, cols);
            return;
        }
        int per = (rows / parts + 3) & ~3;                  // whole groups of four rows per part
        IntStream.range(0, parts).parallel()
                .forEach(p -> matVec(w, x, y, Math.min(rows, p * per), p == parts - 1 ? rows : Math.min(rows, (p + 1) * per), cols));
    }

    /**
     * y[o] = Σₖ w[o·cols + k]·x[k] for the rows from ≤ o &lt; to. Four rows at a time share each load of x; their
     * sums are reduced once per row.
     */
    static void matVec(float[] w, float[] x, float[] y, int from, int to, int cols) {
        int bound = S.loopBound(cols);
        int o = from;
        for (; o + 4 <= to; o += 4) {
            int r0 = o * cols;
            int r1 = r0 + cols;
            int r2 = r1 + cols;
            int r3 = r2 + cols;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            for (int k = 0; k < bound; k += LANES) {
                FloatVector xv = FloatVector.fromArray(S, x, k);
                a0 = FloatVector.fromArray(S, w, r0 + k).fma(xv, a0);
                a1 = FloatVector.fromArray(S, w, r1 + k).fma(xv, a1);
                a2 = FloatVector.fromArray(S, w, r2 + k).fma(xv, a2);
                a3 = FloatVector.fromArray(S, w, r3 + k).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (int k = bound; k < cols; k++) {
                float xk = x[k];
                s0 += w[r0 + k] * xk;
                s1 += w[r1 + k] * xk;
                s2 += w[r2 + k] * xk;
                s3 += w[r3 + k] * xk;
            }
            y[o] = s0;
            y[o + 1] = s1;
            y[o + 2] = s2;
            y[o + 3] = s3;
        }
        for (; o < to; o++) {
            y[o] = dot(w, o * cols, x, 0, cols);
        }
    }

    /** Σᵢ a[ao + i]·b[bo + i], i &lt; n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < bound; i += LANES) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /** y[yo + i] += alpha·x[xo + i], i &lt; n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, alpha);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (int i = bound; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }
}
