package dev.herd.common;

import java.util.SplittableRandom;

/** Standard normal draws from a seeded {@link SplittableRandom}, which has no {@code nextGaussian} in Java 17. */
public final class Gaussian {

    private Gaussian() {}

    /** One N(0, 1) draw by Box–Muller: two uniforms, the first kept away from 0 so its log is finite. */
    public static double next(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
