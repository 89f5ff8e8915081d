package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.Tensors;

/**
 * softplus(x) = log(1 + e^x), in the form that neither overflows for large x nor loses small values for very
 * negative x: max(x, 0) + log(1 + e^{−|x|}). The pairwise losses (DPO, Bradley-Terry) are −log σ(z) = softplus(−z).
 */
public final class Softplus {

    private Softplus() {}

    public static double of(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** Element-wise, differentiable; any shape, the result has {@code x}'s shape and manager. */
    public static NDArray of(NDArray x) {
        NDManager m = x.getManager();
        // Libtorch-owned scalars, not Java numbers: a Java buffer may be freed before backward() reads it.
        return x.maximum(Tensors.scalar(m, 0f)).add(x.abs().neg().exp().add(Tensors.scalar(m, 1f)).log());
    }
}
