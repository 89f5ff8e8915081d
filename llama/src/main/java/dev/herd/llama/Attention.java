package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Scaled dot-product attention with grouped-query heads and Herd's document-id masks. */
public final class Attention {

    /**
     * Added to the scores of hidden keys. Finite, so a query that sees no key at all (a padding row) gets a
     * uniform average instead of NaN; large enough that exp() of it is exactly 0 in fp32.
     */
    static final float HIDDEN = -1e9f;

    private Attention() {}

    /**
     * Additive mask [batch, 1, queries, keys]: 0 where a query may see a key, {@link #HIDDEN} elsewhere.
     *
     * @param queryDocs [batch, queries] int32 document ids of the queries (-1 = padding)
     * @param keyDocs   [batch, keys] int32 document ids of the keys; the queries are its last columns
     */
    public static NDArray mask(NDArray queryDocs, NDArray keyDocs) {
        NDManager m = queryDocs.getManager();
        long t = queryDocs.getShape().get(1);
        long s = keyDocs.getShape().get(1);
        // The i-th query is key number (s - t + i): everything before it in the row is its past.
        NDArray qIdx = m.arange(s - t, s, 1, DataType.INT64).reshape(1, t, 1);
        NDArray kIdx = m.arange(0, s, 1, DataType.INT64).reshape(1, 1, s);
        NDArray causal = kIdx.lte(qIdx);
        NDArray sameDoc = queryDocs.expandDims(2).eq(keyDocs.expandDims(1));
        NDArray realKey = keyDocs.gte(0).expandDims(1);
        NDArray visible = causal.logicalAnd(sameDoc).logicalAnd(realKey);
        // (visible − 1) · 1e9: 0 where visible, HIDDEN elsewhere (DJL's where() does not broadcast).
        return visible.toType(DataType.FLOAT32, false).sub(1f).mul(-HIDDEN).expandDims(1);
    }

    /**
     * softmax(q kᵀ / √d + mask) v, with each group of {@code heads / kvHeads} query heads sharing one key/value
     * head (query head h reads kv head h / groups, as HF's {@code repeat_kv}). Keys and values are broadcast,
     * never copied per head.
     *
     * @param q    [batch, heads, queries, headDim]
     * @param k    [batch, kvHeads, keys, headDim]
     * @param v    [batch, kvHeads, keys, headDim]
     * @param mask [batch, 1, queries, keys] additive
     * @return [batch, heads, queries, headDim]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return attend(q, k, v, mask, Tensors.scalar(q.getManager(), (float) (1.0 / Math.sqrt(q.getShape().get(3)))));   // not q.mul(float): see Tensors
    }

    /**
     * As {@link #attend(NDArray, NDArray, NDArray, NDArray)} with the 1/√headDim factor made once by the caller
     * (a step's every layer shares it) and the mask optional: null when every query sees every key (decoding
     * rows of equal length).
     *
     * @param scale 0-d fp32 tensor 1/√headDim
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, NDArray scale) {
        Shape qs = q.getShape();
        long b = qs.get(0);
        long heads = qs.get(1);
        long t = qs.get(2);
        long d = qs.get(3);
        long kvHeads = k.getShape().get(1);
        long groups = heads / kvHeads;
        long s = k.getShape().get(2);
        // Grouped queries are stacked along the query axis, [b, kv, g·t, d], so each kv head meets its g query
        // heads in one plain batched matmul: no per-head copies of k and v (torch.matmul would materialise
        // them when broadcasting). Queries are scaled rather than scores: t·d multiplications, not t·s.
        NDArray stacked = q.mul(scale).reshape(b, kvHeads, groups * t, d);
        NDArray scores = stacked.matMul(k.swapAxes(2, 3));                        // [b, kv, g·t, s]
        NDArray probs = mask == null ? scores.softmax(-1)
                : scores.reshape(b, kvHeads, groups, t, s).add(mask.expandDims(1))     // mask [b, 1, 1, t, s]
                        .softmax(-1).reshape(b, kvHeads, groups * t, s);
        return probs.matMul(v).reshape(b, heads, t, d);
    }

    /**
     * {@link #attend} with {@link #mask}{@code (queryDocs, keyDocs)}, for passes without gradients over long rows
     * (scoring, log-likelihoods, a reference model): queries go in blocks of at most {@code block}, each against
     * the keys up to its last query only (the mask is causal), with its slice of the mask built from the document
     * ids. Scores then take {@code b·heads·block·keys} floats at a time instead of {@code b·heads·queries·keys},
     * and the full mask ({@code b·queries·keys}) never exists; each block's scores are freed before the next
     * (a sub-manager per block). The values are attend()'s: a query's softmax still runs over all its visible
     * keys at once, and the keys cut off were hidden anyway.
     *
     * @param q         [batch, heads, queries, headDim]
     * @param k         [batch, kvHeads, keys, headDim]
     * @param v         [batch, kvHeads, keys, headDim]
     * @param queryDocs [batch, queries] int32 document ids of the queries (-1 = padding)
     * @param keyDocs   [batch, keys] int32 document ids of the keys; the queries are its last columns
     * @param block     queries per block
     * @return [batch, heads, queries, headDim], in {@code q}'s manager
     */
    public static NDArray attendBlockwise(NDArray q, NDArray k, NDArray v, NDArray queryDocs, NDArray keyDocs, int block) {
        if (block < 1) {
            throw new IllegalArgumentException("a block needs at least one query, got " + block);
        }
        NDManager m = q.getManager();
        long t = q.getShape().get(2);
        long s = k.getShape().get(2);
        if (t <= block) {
            return attend(q, k, v, mask(queryDocs, keyDocs));
        }
        NDList outs = new NDList();
        for (long i0 = 0; i0 < t; i0 += block) {
            long i1 = Math.min(t, i0 + block);
            long seen = s - t + i1;                                      // keys up to the block's last query
            try (NDManager bm = m.newSubManager()) {
                NDArray qb = inBlock(q.get(":, :, {}:{}, :", i0, i1), bm);             // [b, heads, i1-i0, d]
                NDArray kb = inBlock(k.get(":, :, 0:{}, :", seen), bm);                // [b, kv, seen, d]
                NDArray vb = inBlock(v.get(":, :, 0:{}, :", seen), bm);                // [b, kv, seen, d]
                NDArray qd = inBlock(queryDocs.get(":, {}:{}", i0, i1), bm);           // [b, i1-i0]
                NDArray kd = inBlock(keyDocs.get(":, 0:{}", seen), bm);                // [b, seen]
                NDArray out = attend(qb, kb, vb, mask(qd, kd));                         // [b, heads, i1-i0, d]
                out.attach(m);
                outs.add(out);
            }
        }
        NDArray all = NDArrays.concat(outs, 2);                                  // [b, heads, t, d]
        outs.forEach(NDArray::close);
        return all;
    }

    /** {@code x} moved into the block's manager, so that what is computed from it is freed with the block. */
    private static NDArray inBlock(NDArray x, NDManager block) {
        x.attach(block);
        return x;
    }
}
