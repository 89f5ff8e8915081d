package dev.herd.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.herd.llama.Attention;

/**
 * Attention over a paged KV pool as one kernel-level operation: write the new keys and values into their
 * slots, gather every row's keys and values by slot index, attend. On CPU it is three libtorch calls per
 * layer; a fused GPU kernel (gathering inside the attention loop, as vLLM's does) can replace this method
 * without touching the scheduler or the cache's bookkeeping.
 */
public final class PagedAttention {

    private PagedAttention() {}

    /**
     * @param q         [b, heads, t, d] queries of the new tokens
     * @param k         [b·t, kvHeads, d] keys of the new tokens, row-major
     * @param v         [b·t, kvHeads, d]
     * @param keyPool   [slots, kvHeads, d] this layer's key storage (written in place)
     * @param valuePool [slots, kvHeads, d]
     * @param write     [b·t] int64 slot of each new token
     * @param read      [b·s] int64 slot of each key a row attends to, right-aligned so the new tokens come last
     * @param queryDocs [b, t] int32 (−1 = padding)
     * @param keyDocs   [b, s] int32 (−1 = padding)
     * @return [b, heads, t, d]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray keyPool, NDArray valuePool, NDArray write,
                                 NDArray read, NDArray queryDocs, NDArray keyDocs) {
        NDManager step = q.getManager();
        keyPool.set(new NDIndex("{}", write), k);
        valuePool.set(new NDIndex("{}", write), v);
        long b = q.getShape().get(0);
        long s = keyDocs.getShape().get(1);
        long kv = keyPool.getShape().get(1);
        long d = keyPool.getShape().get(2);
        // get(step, …): the gathered copies belong to the step, not to the long-lived pool's manager.
        NDArray keys = keyPool.get(step, new NDIndex("{}", read)).reshape(b, s, kv, d).transpose(0, 2, 1, 3);
        NDArray values = valuePool.get(step, new NDIndex("{}", read)).reshape(b, s, kv, d).transpose(0, 2, 1, 3);
        return Attention.attend(q, keys, values, Attention.mask(queryDocs, keyDocs));
    }
}
