package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Small tensor utilities that DJL's API makes easy to get wrong. */
public final class Tensors {

    private Tensors() {}

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
