package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Small tensor utilities that DJL's API makes easy to get wrong. */
public final class Tensors {

    private Tensors() {}

    /**
     * A 0-d fp32 tensor whose storage belongs to libtorch, for multiplying or dividing tensors that need
     * gradients.
     *
     * <p>Never write {@code x.mul(0.5f)} in a graph that will be differentiated: DJL wraps the number in a
     * temporary tensor over a Java direct buffer, closes it right after the op, and the buffer may be freed by
     * the garbage collector before {@code backward()} reads the saved scalar — the gradient then silently
     * becomes garbage or infinite, now and then (seen here: intermittent infinite gradients in the layer-0
     * query projection). {@code x.mul(Tensors.scalar(m, 0.5f))} is safe.
     */
    public static NDArray scalar(NDManager manager, float value) {
        return manager.full(new ai.djl.ndarray.types.Shape(), value, ai.djl.ndarray.types.DataType.FLOAT32);
    }

    /**
     * Overwrites {@code target}'s values in place (a copy into its own storage; its values must be finite).
     * {@code NDArray.set(float[])} and {@code set(NDIndex, NDArray)} are not safe for long-lived arrays on the
     * PyTorch engine: the tensor can end up sharing the temporary source's memory, which is later freed, and
     * the values turn to garbage (seen here as infinite gradients after a resume).
     */
    public static void copyInto(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException("copying " + values.length + " values into " + target.getShape());
        }
        try (NDManager tmp = target.getManager().newSubManager()) {
            NDArray src = tmp.create(values, target.getShape());
            // In-place arithmetic writes into target's own storage; set(NDIndex, src) may alias src instead.
            target.muli(0f).addi(src);
        }
    }
}
