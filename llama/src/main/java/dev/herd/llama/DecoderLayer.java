package dev.herd.llama;

import ai.djl.ndarray.NDArray;

/**
 * The weights of one decoder block, in Hugging Face's layout ({@code out_features × in_features}).
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
        NDArray down) {

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

    static DecoderLayer of(NDArray[] w) {
        return new DecoderLayer(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]);
    }
}
