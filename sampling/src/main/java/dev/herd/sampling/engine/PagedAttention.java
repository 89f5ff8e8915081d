package dev.herd.sampling.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.herd.llama.Attention;

/**
 * Attention over a paged KV pool as one kernel-level operation: write the new keys and values into their
 * slots, gather every row's keys and values by slot index, attend. Keys and values share one pool array so
 * each is one scatter and one gather per layer; on CPU that is a handful of libtorch calls, and a fused GPU
 * kernel (gathering inside the attention loop, as vLLM's does) can replace this method without touching the
 * scheduler or the cache's bookkeeping.
 */
final class PagedAttention {

    private PagedAttention() {}

    /**
     * @param q     [b, heads, t, d] queries of the new tokens
     * @param k     [b, kvHeads, t, d] keys of the new tokens
     * @param v     [b, kvHeads, t, d]
     * @param pool  [slots, 2·kvHeads, d] this layer's keys (heads 0..kv-1) and values (kv..2kv-1), written in place
     * @param write the step's index of the new tokens' slots ([b·t] int64, row-major), or their range when they
     *              are one run (a slice: the write is a copy into a view)
     * @param read  the step's index of the slots each row attends to ([b·s] int64, right-aligned so the new
     *              tokens come last), or their range (a slice: keys and values are read in place, not gathered)
     * @param mask  [b, 1, t, s] additive mask of the step (see {@link Attention#mask}), or null when every query
     *              sees every key
     * @param scale 0-d 1/√d
     * @return [b, heads, t, d]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray pool, NDIndex write, NDIndex read, long s,
                                 NDArray mask, NDArray scale) {
        NDManager step = q.getManager();
        long b = q.getShape().get(0);
        long t = q.getShape().get(2);
        long kv2 = pool.getShape().get(1);
        long d = pool.getShape().get(2);
        NDArray kv = k.concat(v, 1);                                                    // [b, 2kv, t, d]
        pool.set(write, (t == 1 ? kv : kv.transpose(0, 2, 1, 3)).reshape(b * t, kv2, d));  // [b·t, 2kv, d]
        // get(step, …): the gathered copy belongs to the step, not to the long-lived pool's manager.
        NDList kvs = pool.get(step, read).reshape(b, s, kv2, d).transpose(0, 2, 1, 3).split(2, 1);   // [b, kv, s, d] ×2
        return Attention.attend(q, kvs.get(0), kvs.get(1), mask, scale);
    }
}
