package dev.herd.llama;

import ai.djl.ndarray.NDArray;

/**
 * The weights of one decoder block, in Hugging Face's layout ({@code out_features × in_features}).
 *
 * <p>q, k and v are row slices (views) of one {@code qkv} array, gate and up of one {@code gateUp}: training
 * and saving see the HF tensors, each a leaf with its own gradient, while inference runs one matmul for the
 * three projections and one for the two, over the same memory (in-place optimizer updates of a view land in
 * the fused array).
 *
 * @param inputNorm [hidden] RMSNorm weight before attention
 * @param wq        [heads·headDim, hidden]
 * @param wk        [kvHeads·headDim, hidden]
 * @param wv        [kvHeads·headDim, hidden]
 * @param wo        [hidden, heads·headDim]
 * @param postNorm  [hidden] RMSNorm weight before the MLP
 * @param gate      [intermediate, hidden]
 * @param up        [intermediate, hidden]
 * @param down      [hidden, intermediate]
 * @param qkv       [(heads + 2·kvHeads)·headDim, hidden]: wq, wk, wv stacked
 * @param gateUp    [2·intermediate, hidden]: gate, up stacked
 */
record DecoderLayer(
        NDArray inputNorm,
        NDArray wq,
        NDArray wk,
        NDArray wv,
        NDArray wo,
        NDArray postNorm,
        NDArray gate,
        NDArray up,
        NDArray down,
        NDArray qkv,
        NDArray gateUp) {

    /** HF tensor name of each field for layer {@code i}, in the order of the record. */
    public static String[] names(int i) {
        String p = "model.layers." + i + ".";
        return new String[] {
            p + "input_layernorm.weight",
            p + "self_attn.q_proj.weight",
            p + "self_attn.k_proj.weight",
            p + "self_attn.v_proj.weight",
            p + "self_attn.o_proj.weight",
            p + "post_attention_layernorm.weight",
            p + "mlp.gate_proj.weight",
            p + "mlp.up_proj.weight",
            p + "mlp.down_proj.weight"
        };
    }

    /** Expected shape of each field, in the order of {@link #names(int)}. */
    public static long[][] shapes(LlamaConfig c) {
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long f = c.intermediateSize();
        return new long[][] {{h}, {q, h}, {kv, h}, {kv, h}, {h, q}, {h}, {f, h}, {f, h}, {h, f}};
    }

    static DecoderLayer of(NDArray[] w, NDArray qkv, NDArray gateUp) {
        return new DecoderLayer(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], qkv, gateUp);
    }

    /** Positions in {@link #names} of the tensors stored in {@code qkv} and in {@code gateUp}. */
    static final int[] QKV = {1, 2, 3};
    static final int[] GATE_UP = {6, 7};
}
