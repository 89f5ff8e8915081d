package dev.herd.llama;

import ai.djl.ndarray.NDArray;

/**
 * Where a layer's attention finds its keys and values: the tokens of this call only ({@link #NONE}), a
 * dense per-row cache for incremental decoding ({@link DenseKvCache}), or a paged pool shared by many
 * sequences (the sampling module's).
 *
 * <p>Attention itself lives here, not in the decoder, so a cache layout comes with the kernel that reads
 * it: a paged cache gathers by block table, and a GPU build can swap in a fused kernel.
 */
public interface KvCache {

    /** Attention over the current tokens alone: training, scoring, full-recompute decoding. */
    KvCache NONE = (layer, q, k, v, batch) -> Attention.attend(q, k, v, Attention.mask(batch.docIds(), batch.docIds()));

    /**
     * Attention over the current tokens alone, in blocks of at most {@code queries} queries
     * ({@link Attention#attendBlockwise}): for passes without gradients over long rows, the same values as
     * {@link #NONE} without its {@code [batch, heads, seq, seq]} scores.
     */
    static KvCache blockwise(int queries) {
        return (layer, q, k, v, batch) -> Attention.attendBlockwise(q, k, v, batch.docIds(), batch.docIds(), queries);
    }

    /**
     * Attends the new queries over this layer's cached keys and values plus the new ones, and keeps the new
     * ones for later calls.
     *
     * @param q [batch, heads, seq, headDim] queries of the new tokens, RoPE applied
     * @param k [batch, kvHeads, seq, headDim] keys of the new tokens, RoPE applied
     * @param v [batch, kvHeads, seq, headDim]
     * @return [batch, heads, seq, headDim]
     */
    NDArray attend(int layer, NDArray q, NDArray k, NDArray v, TokenBatch batch);

    /** Called once after every layer has seen {@code batch}: the cache now holds its tokens. */
    default void advance(TokenBatch batch) {}
}
