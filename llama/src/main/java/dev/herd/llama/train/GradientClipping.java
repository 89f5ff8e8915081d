package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/** Clipping by the global L2 norm over all gradients, as {@code torch.nn.utils.clip_grad_norm_}. */
final class GradientClipping {

    private GradientClipping() {}

    /** The global L2 norm of the gradients. */
    public static double globalNorm(Collection<NDArray> grads) {
        double sumSq = 0;
        for (NDArray g : grads) {
            try (NDArray s = g.square().sum()) {
                sumSq += s.getFloat();
            }
        }
        return Math.sqrt(sumSq);
    }

    /**
     * Scales all gradients in place so their global norm is at most {@code maxNorm} (0 = leave them).
     *
     * @return the norm before clipping
     */
    public static double clip(Collection<NDArray> grads, double maxNorm) {
        double norm = globalNorm(grads);
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (NDArray g : grads) {
                g.muli(scale);
            }
        }
        return norm;
    }
}
