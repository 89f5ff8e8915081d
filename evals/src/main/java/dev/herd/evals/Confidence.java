package dev.herd.evals;

import dev.herd.common.BinomialInterval;
import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * The statistics Llama 3 reports with every score: binomial 95% intervals, percentile bootstrap for averaged
 * metrics, and paired comparisons of two runs on the same items.
 */
public final class Confidence {

    /** z for a two-sided 95% interval. */
    public static final double Z95 = BinomialInterval.Z95;

    private Confidence() {}

    /** An estimate with its 95% interval and standard error. */
    public record Interval(double score, double low, double high, double stderr, int n) {}

    /** Llama 3's CI = S ± 1.96·√(S(1−S)/N) for a binary metric's mean S over N items (clipped to [0, 1]). */
    public static Interval binomial(double s, int n) {
        BinomialInterval ci = BinomialInterval.of(s, n);
        return new Interval(ci.score(), ci.low(), ci.high(), ci.stderr(), n);
    }

    /** Whether every value is 0 or 1. */
    public static boolean isBinary(double[] values) {
        return Arrays.stream(values).allMatch(v -> v == 0 || v == 1);
    }

    /** Mean with the binomial interval for 0/1 values, else a seeded percentile bootstrap. */
    public static Interval of(double[] values, int resamples, long seed) {
        double mean = Arrays.stream(values).average().orElse(0);
        return isBinary(values) ? binomial(mean, values.length) : bootstrap(values, resamples, seed);
    }

    /** Percentile bootstrap of the mean: resample with replacement, take the 2.5th and 97.5th percentiles. */
    public static Interval bootstrap(double[] values, int resamples, long seed) {
        int n = values.length;
        double mean = Arrays.stream(values).average().orElse(0);
        if (n == 0) {
            return new Interval(0, 0, 0, 0, 0);
        }
        RandomGenerator r = new Well19937c(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += values[r.nextInt(n)];
            }
            means[b] = s / n;
        }
        return new Interval(mean, percentile(means, 2.5), percentile(means, 97.5), stddev(means), n);
    }

    /** Result of comparing run B against run A on the same items. */
    public record Comparison(double meanA, double meanB, double diff, double low, double high, Double mcnemarP,
                             int n, int onlyA, int onlyB) {

        /** The paired CI covers zero. */
        public boolean significant() {
            return low > 0 || high < 0;
        }
    }

    /**
     * B − A on paired items: mean difference with a paired percentile bootstrap CI, and McNemar's exact test
     * (two-sided binomial test on the discordant pairs) when both are binary.
     */
    public static Comparison paired(double[] a, double[] b, int resamples, long seed) {
        int n = a.length;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = b[i] - a[i];
        }
        Interval ci = bootstrap(d, resamples, seed);
        Double p = null;
        int onlyA = 0;
        int onlyB = 0;
        if (isBinary(a) && isBinary(b)) {
            for (int i = 0; i < n; i++) {
                if (a[i] == 1 && b[i] == 0) {
                    onlyA++;
                } else if (a[i] == 0 && b[i] == 1) {
                    onlyB++;
                }
            }
            p = mcnemarExact(onlyA, onlyB);
        }
        return new Comparison(Arrays.stream(a).average().orElse(0), Arrays.stream(b).average().orElse(0),
                ci.score(), ci.low(), ci.high(), p, n, onlyA, onlyB);
    }

    /** Two-sided exact McNemar p-value: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), capped at 1. */
    public static double mcnemarExact(int b, int c) {
        int m = b + c;
        if (m == 0) {
            return 1.0;
        }
        BinomialDistribution dist = new BinomialDistribution(null, m, 0.5);
        return Math.min(1.0, 2 * dist.cumulativeProbability(Math.min(b, c)));
    }

    /**
     * Unbiased pass@k from n samples of which c pass: 1 − C(n−c, k)/C(n, k), computed as a running product so
     * large n neither overflows nor loses precision.
     */
    public static double passAtK(int n, int c, int k) {
        if (n - c < k) {
            return 1.0;
        }
        double prod = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            prod *= 1.0 - (double) k / i;
        }
        return 1.0 - prod;
    }

    private static double percentile(double[] v, double p) {
        Percentile pc = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
        return pc.evaluate(v, p);
    }

    private static double stddev(double[] v) {
        double m = Arrays.stream(v).average().orElse(0);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / Math.max(1, v.length - 1));
    }
}
