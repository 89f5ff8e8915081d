package dev.herd.llama.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The next token of every row of a batch's logits, with the heavy work on the device: greedy rows take the
 * argmax there (b numbers come back instead of b × vocab logits), sampled rows the softmax of logits /
 * temperature, whose probabilities their {@link TokenSampler}s draw from. Every operation is row-wise, so a
 * row's token never depends on the other rows of the batch.
 */
public final class NextTokens {

    private NextTokens() {}

    /**
     * @param logits   [b, vocab] fp32
     * @param samplers one per row; null rows are skipped (their entry in the result is -1)
     * @return the drawn token of each row
     */
    public static int[] draw(NDArray logits, TokenSampler[] samplers) {
        int b = Math.toIntExact(logits.getShape().get(0));
        int vocab = Math.toIntExact(logits.getShape().get(1));
        int[] out = new int[b];
        java.util.Arrays.fill(out, -1);
        int greedy = 0;
        int[] sampled = new int[b];
        int n = 0;
        for (int i = 0; i < b; i++) {
            if (samplers[i] == null) {
                continue;
            }
            if (samplers[i].isGreedy()) {
                greedy++;
            } else {
                sampled[n++] = i;
            }
        }
        if (greedy > 0) {
            long[] best = logits.argMax(-1).toLongArray();                     // [b]
            for (int i = 0; i < b; i++) {
                if (samplers[i] != null && samplers[i].isGreedy()) {
                    out[i] = (int) best[i];
                }
            }
        }
        if (n == 0) {
            return out;
        }
        NDManager m = logits.getManager();
        NDArray rows = logits;                                                   // [n, vocab]
        if (n < b) {
            long[] idx = new long[n];
            for (int j = 0; j < n; j++) {
                idx[j] = sampled[j];
            }
            rows = logits.get(m, new NDIndex("{}", m.create(idx)));
        }
        boolean allOne = true;
        float[] inverse = new float[n];
        for (int j = 0; j < n; j++) {
            inverse[j] = (float) (1.0 / samplers[sampled[j]].temperature());
            allOne &= inverse[j] == 1f;
        }
        if (!allOne) {
            rows = rows.mul(m.create(inverse, new Shape(n, 1)));                 // [n, vocab] logits / T
        }
        float[] probs = rows.softmax(-1).toFloatArray();   // [n, vocab]
        // Rows are independent (each sampler owns its stream), so the Java side may draw them in parallel while
        // libtorch's threads are idle.
        int[] rowsToDraw = java.util.Arrays.copyOf(sampled, n);
        java.util.stream.IntStream draws = java.util.stream.IntStream.range(0, n);
        (n >= 4 ? draws.parallel() : draws).forEach(j -> out[rowsToDraw[j]] = samplers[rowsToDraw[j]].draw(probs, j * vocab, vocab));
        return out;
    }
}
