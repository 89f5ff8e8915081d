package dev.herd.sampling.engine;

/**
 * The log-probability of a drawn token under the model (before temperature and filtering, as OpenAI reports
 * it), with the {@code top} most likely alternatives.
 *
 * @param topIds      the most likely tokens, best first
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprob(int token, double logprob, int[] topIds, double[] topLogprobs) {

    /** From one row of logits {@code logits[offset, offset + vocab)}. */
    public static TokenLogprob of(float[] logits, int offset, int vocab, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        double lse = max + Math.log(sum);
        int k = Math.min(top, vocab);
        int[] ids = new int[k];
        double[] lps = new double[k];
        java.util.Arrays.fill(ids, -1);
        for (int i = 0; i < vocab; i++) {
            float v = logits[offset + i];
            for (int j = 0; j < k; j++) {
                if (ids[j] < 0 || v > logits[offset + ids[j]]) {
                    System.arraycopy(ids, j, ids, j + 1, k - j - 1);
                    ids[j] = i;
                    break;
                }
            }
        }
        for (int j = 0; j < k; j++) {
            lps[j] = logits[offset + ids[j]] - lse;
        }
        return new TokenLogprob(token, logits[offset + token] - lse, ids, lps);
    }
}
