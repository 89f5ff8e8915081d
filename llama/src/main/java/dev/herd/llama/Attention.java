package dev.herd.llama;

import ai.djl.ndarray.NDArray;
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
}
