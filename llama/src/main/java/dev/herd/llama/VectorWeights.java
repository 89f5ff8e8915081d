package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * A copy of a model's weights in the Java heap for {@link VectorDecoder}: the matrices HF's [out, in] with q/k/v and
 * gate/up stacked as in {@link DecoderLayer}, each packed for the product with one vector ({@link PackedMatrix}).
 * Read-only once made; {@link LlamaModel} drops it whenever training may change the weights.
 *
 * @param invFreq [headDim/2] RoPE inverse frequencies
 * @param embed   [vocab, hidden] row-major: a token's row is copied out
 * @param lmHead  [vocab, hidden] packed; a copy of its own even when the embeddings are tied
 * @param norm    [hidden] the final RMSNorm
 */
record VectorWeights(float[] invFreq, float[] embed, PackedMatrix lmHead, float[] norm, Layer[] layers) {

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
    record Layer(float[] inputNorm, PackedMatrix qkv, PackedMatrix wo, float[] postNorm, PackedMatrix gateUp,
                 PackedMatrix down) {}

    /** Whether a copy of these weights fits the heap's share (a quarter of -Xmx), each tensor in one Java array. */
    static boolean fits(NDArray embed, NDArray lmHead, List<DecoderLayer> layers) {
        long head = packedSize(lmHead);
        long floats = embed.size() + head;
        long largest = Math.max(embed.size(), head);
        for (DecoderLayer l : layers) {
            long qkv = packedSize(l.qkv());
            long gateUp = packedSize(l.gateUp());
            floats += qkv + packedSize(l.wo()) + gateUp + packedSize(l.down()) + 2 * l.inputNorm().size();
            largest = Math.max(largest, Math.max(qkv, gateUp));
        }
        return largest <= MAX_ARRAY && floats * Float.BYTES <= Runtime.getRuntime().maxMemory() / HEAP_SHARE;
    }

    static VectorWeights copyOf(NDArray embed, NDArray lmHead, NDArray norm, NDArray invFreq, List<DecoderLayer> layers) {
        Layer[] copied = new Layer[layers.size()];
        for (int i = 0; i < copied.length; i++) {
            DecoderLayer l = layers.get(i);
            copied[i] = new Layer(copy(l.inputNorm()), pack(l.qkv()), pack(l.wo()), copy(l.postNorm()), pack(l.gateUp()),
                    pack(l.down()));
        }
        return new VectorWeights(copy(invFreq), copy(embed), pack(lmHead), copy(norm), copied);
    }

    private static long packedSize(NDArray matrix) {
        return PackedMatrix.size(matrix.getShape().get(0), matrix.getShape().get(1));
    }

    /** An fp32 CPU [out, in] matrix, packed straight from libtorch's memory. */
    private static PackedMatrix pack(NDArray matrix) {
        return PackedMatrix.of(values(matrix), Math.toIntExact(matrix.getShape().get(0)),
                Math.toIntExact(matrix.getShape().get(1)));
    }

    /** An fp32 CPU array's values, copied once from libtorch's memory (toFloatArray() copies twice). */
    private static float[] copy(NDArray a) {
        float[] out = new float[Math.toIntExact(a.size())];
        values(a).get(out);
        return out;
    }

    private static FloatBuffer values(NDArray a) {
        return ((PtNDArray) a).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
