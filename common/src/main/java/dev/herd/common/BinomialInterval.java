package dev.herd.common;

/**
 * The 95% interval Llama 3 reports for a binary metric: S ± 1.96·√(S(1−S)/N), clipped to [0, 1]. One formula
 * for every stage's accuracy (evals, DPO reward accuracy, reward-model pairwise accuracy).
 */
public record BinomialInterval(double score, double low, double high, double stderr, int n) {

    /** z for a two-sided 95% interval. */
    public static final double Z95 = 1.96;

    public static BinomialInterval of(double s, int n) {
        double se = n == 0 ? 0 : Math.sqrt(s * (1 - s) / n);
        return new BinomialInterval(s, Math.max(0, s - Z95 * se), Math.min(1, s + Z95 * se), se, n);
    }
}
