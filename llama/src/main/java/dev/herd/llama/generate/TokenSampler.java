package dev.herd.llama.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks a token from one row of logits: greedy, or temperature with top-k and top-p (nucleus) filtering,
 * drawn from the request's own seeded stream by inverse CDF.
 */
public final class TokenSampler {

    private final SamplingParams params;
    private final SplittableRandom random;

    public TokenSampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    /** The next token for {@code logits} (one row of length vocab). */
    public int next(float[] logits) {
        return next(logits, 0, logits.length);
    }

    /** The next token for the row {@code logits[offset, offset + vocab)}. */
    public int next(float[] logits, int offset, int vocab) {
        if (params.isGreedy()) {
            return argMax(logits, offset, vocab);
        }
        // Draw first, so each step consumes exactly one number whatever the filtering keeps.
        double u = random.nextDouble();
        Integer[] order = null;
        int keep = vocab;
        double[] p = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i] / params.temperature());
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp(logits[offset + i] / params.temperature() - max);
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= z;
        }
        if (params.topK() > 0 || params.topP() < 1) {
            order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            final double[] probs = p;
            // Ties broken by id so the order (and so the draw) is fully determined.
            Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
            if (params.topK() > 0) {
                keep = Math.min(keep, params.topK());
            }
            if (params.topP() < 1) {
                double cum = 0;
                int n = 0;
                while (n < keep) {
                    cum += p[order[n]];
                    n++;
                    if (cum >= params.topP()) {
                        break;
                    }
                }
                keep = n;
            }
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += p[order[i]];
            }
            double target = u * mass;
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[order[i]];
                if (cum > target) {
                    return order[i];
                }
            }
            return order[keep - 1];
        }
        double cum = 0;
        for (int i = 0; i < vocab; i++) {
            cum += p[i];
            if (cum > u) {
                return i;
            }
        }
        return vocab - 1;
    }

    static int argMax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
