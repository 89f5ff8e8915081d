package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A copy of a model's weights in the Java heap for {@link VectorDecoder}, in HF's [out, in] layout with q/k/v and
 * gate/up stacked as in {@link DecoderLayer}. Read-only once made; {@link LlamaModel} drops it whenever training
 * may change the weights.
 *
 * @param invFreq [headDim/2] RoPE inverse frequencies
 * @param embed   [vocab, hidden]
 * @param lmHead  [vocab, hidden]; the same array as {@code embed} when the embeddings are tied
 * @param norm    [hidden] the final RMSNorm
 */
record VectorWeights(float[] invFreq, float[] embed, float[] lmHead, float[] norm, Layer[] layers) {

    /** At most this share of the heap may hold the copy; bigger models decode on libtorch. */
    private static final int HEAP_SHARE = 4;
    /** Longest Java array the JVMs allow. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * One block.
     *
     * @param qkv    [(heads + 2·kvHeads)·headDim, hidden]
     * @param wo     [hidden, heads·headDim]
     * @param gateUp [2·intermediate, hidden]
     * @param down   [hidden, intermediate]
     */
    record Layer(float[] inputNorm, float[] qkv, float[] wo, float[] postNorm, float[] gateUp, float[] down) {}

    /** Whether a copy of these weights fits the heap's share (a quarter of -Xmx), each tensor in one Java array. */
    static boolean fits(NDArray embed, NDArray lmHead, List<DecoderLayer> layers) {
        long floats = embed.size() + (lmHead == embed ? 0 : lmHead.size());
        long largest = Math.max(embed.size(), lmHead.size());
        for (DecoderLayer l : layers) {
            floats += l.qkv().size() + l.wo().size() + l.gateUp().size() + l.down().size() + 2 * l.inputNorm().size();
            largest = Math.max(largest, Math.max(l.qkv().size(), l.gateUp().size()));
        }
        return largest <= MAX_ARRAY && floats * Float.BYTES <= Runtime.getRuntime().maxMemory() / HEAP_SHARE;
    }

    /** @param lmHead the same array as {@code embed} when the embeddings are tied */
    static VectorWeights copyOf(NDArray embed, NDArray lmHead, NDArray norm, NDArray invFreq, List<DecoderLayer> layers) {
        float[] e = copy(embed);
        Layer[] copied = new Layer[layers.size()];
        for (int i = 0; i < copied.length; i++) {
            DecoderLayer l = layers.get(i);
            copied[i] = new Layer(copy(l.inputNorm()), copy(l.qkv()), copy(l.wo()), copy(l.postNorm()), copy(l.gateUp()),
                    copy(l.down()));
        }
        return new VectorWeights(copy(invFreq), e, lmHead == embed ? e : copy(lmHead), copy(norm), copied);
    }

    /** An fp32 CPU array's values, copied once from libtorch's memory (toFloatArray() copies twice). */
    private static float[] copy(NDArray a) {
        float[] out = new float[Math.toIntExact(a.size())];
        ((PtNDArray) a).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
        return out;
    }
}
