package dev.herd.sampling.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
     * @param k     [b·t, kvHeads, d] keys of the new tokens, row-major
     * @param v     [b·t, kvHeads, d]
     * @param pool  [slots, 2, kvHeads, d] this layer's keys (index 0) and values (index 1), written in place
     * @param write [b·t] int64 slot of each new token
     * @param read  [b·s] int64 slot of each key a row attends to, right-aligned so the new tokens come last
     * @param mask  [b, 1, t, s] additive mask of the step (see {@link Attention#mask})
     * @return [b, heads, t, d]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray pool, NDArray write, NDArray read, NDArray mask) {
        NDManager step = q.getManager();
        pool.set(new NDIndex("{}", write), NDArrays.stack(new NDList(k, v), 1));
        long b = q.getShape().get(0);
        long s = mask.getShape().get(3);
        long kv = pool.getShape().get(2);
        long d = pool.getShape().get(3);
        // get(step, …): the gathered copy belongs to the step, not to the long-lived pool's manager.
        NDArray both = pool.get(step, new NDIndex("{}", read)).reshape(b, s, 2, kv, d);
        NDArray keys = both.get(":, :, 0").transpose(0, 2, 1, 3);
        NDArray values = both.get(":, :, 1").transpose(0, 2, 1, 3);
        return Attention.attend(q, keys, values, mask);
    }
}
