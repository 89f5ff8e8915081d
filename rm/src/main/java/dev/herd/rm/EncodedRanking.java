package dev.herd.rm;

import java.util.List;

/**
 * A ranking ready for the reward model: the prompt's tokens (with the assistant header that opens the answer)
 * and each response's tokens (its content and end-of-turn), best first.
 *
 * @param margins for each ranked pair (i, j), i &lt; j, in {@link #pairs()} order, the margin the better one
 *                must win by (0 without margins)
 */
public record EncodedRanking(int[] prompt, List<int[]> responses, double[] margins, String split) {

    /** Ordered pairs (better, worse) as indices into {@code responses}. */
    public int[][] pairs() {
        int k = responses.size();
        int[][] out = new int[k * (k - 1) / 2][];
        int n = 0;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                out[n++] = new int[] {i, j};
            }
        }
        return out;
    }

    /** Tokens of the packed row: the prompt once, then every response. */
    public int length() {
        return prompt.length + responses.stream().mapToInt(r -> r.length).sum();
    }
}
