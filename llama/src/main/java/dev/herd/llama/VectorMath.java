package dev.herd.llama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The short loops of {@link VectorDecoder} (attention, norms) over the widest float vectors the CPU has (16 lanes
 * with AVX-512); its matrix products are {@link PackedMatrix}'s. Only these two classes and the sampler's
 * {@code VectorRowScan} touch the incubating {@code jdk.incubator.vector} module, and they load only when it is
 * present, so the rest of Herd loads and runs on a JVM started without it.
 */
final class VectorMath {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();

    private VectorMath() {}

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
