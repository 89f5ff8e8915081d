package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A batch of token rows for the decoder: ids, RoPE positions, and which tokens may see which.
 *
 * <p>Visibility is described per token by a document id: a query sees a key when both carry the same
 * document id, the key is not after the query in the row, and the key is not padding (id {@code -1}).
 * One rule covers plain causal rows, left or right padding, and packed rows of several examples (the
 * block-diagonal causal mask Llama 3 trains with) — positions restart with every packed example.
 *
 * @param ids       [batch, seq] int64 token ids (padding holds any valid id)
 * @param positions [batch, seq] int64 RoPE positions
 * @param docIds    [batch, seq] int32 document of each token, -1 for padding
 */
public record TokenBatch(NDArray ids, NDArray positions, NDArray docIds) {

    public int batchSize() {
        return (int) ids.getShape().get(0);
    }

    public int length() {
        return (int) ids.getShape().get(1);
    }

    /** Rows of equal length, each one causal document, positions 0..n-1. */
    public static TokenBatch causal(NDManager manager, int[][] rows) {
        int b = rows.length;
        int t = rows[0].length;
        long[] ids = new long[b * t];
        long[] pos = new long[b * t];
        int[] doc = new int[b * t];
        for (int i = 0; i < b; i++) {
            if (rows[i].length != t) {
                throw new IllegalArgumentException("rows differ in length: use padded()");
            }
            for (int j = 0; j < t; j++) {
                ids[i * t + j] = rows[i][j];
                pos[i * t + j] = j;
            }
        }
        return of(manager, b, t, ids, pos, doc);
    }

    /**
     * Rows of different lengths padded to the longest with {@code padId}, on the left (as for generation,
     * so every row's next token is at the last column) or on the right (as for training).
     */
    public static TokenBatch padded(NDManager manager, List<int[]> rows, boolean left, int padId) {
        int b = rows.size();
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] pos = new long[b * t];
        int[] doc = new int[b * t];
        java.util.Arrays.fill(doc, -1);
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            int[] row = rows.get(i);
            int offset = left ? t - row.length : 0;
            for (int j = 0; j < row.length; j++) {
                ids[i * t + offset + j] = row[j];
                pos[i * t + offset + j] = j;
                doc[i * t + offset + j] = 0;
            }
        }
        return of(manager, b, t, ids, pos, doc);
    }

    /**
     * Packed rows: each row holds several examples back to back, each attending only within itself, with
     * positions restarting at 0; the rest of a row is padding.
     */
    public static TokenBatch packed(NDManager manager, List<List<int[]>> rows, int length, int padId) {
        int b = rows.size();
        long[] ids = new long[b * length];
        long[] pos = new long[b * length];
        int[] doc = new int[b * length];
        java.util.Arrays.fill(doc, -1);
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            int at = 0;
            int d = 0;
            for (int[] example : rows.get(i)) {
                if (at + example.length > length) {
                    throw new IllegalArgumentException("packed row " + i + " exceeds " + length + " tokens");
                }
                for (int j = 0; j < example.length; j++) {
                    ids[i * length + at + j] = example[j];
                    pos[i * length + at + j] = j;
                    doc[i * length + at + j] = d;
                }
                at += example.length;
                d++;
            }
        }
        return of(manager, b, length, ids, pos, doc);
    }

    /** Builds a batch from flat row-major arrays. */
    public static TokenBatch of(NDManager manager, int b, int t, long[] ids, long[] positions, int[] docIds) {
        Shape shape = new Shape(b, t);
        return new TokenBatch(manager.create(ids, shape), manager.create(positions, shape),
                manager.create(docIds, shape));
    }
}
