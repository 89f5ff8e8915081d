package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.Tensors;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Adam with decoupled weight decay, step for step as {@code torch.optim.AdamW}: decay
 * {@code p ← p·(1 − lr·wd)}, then {@code p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)}.
 *
 * <p>Written here rather than taken from DJL so that its state (both moments and the step count) can be
 * checkpointed and restored exactly. Moments live in the optimizer's own manager, created up front, so no
 * per-step scope ever closes them.
 */
final class AdamW implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();    // first moment, per parameter
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();  // second moment, per parameter
    private final Predicate<String> decays;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int step;

    /**
     * @param params parameters by name
     * @param decays which parameters take weight decay (Herd: all matrices, never norm weights)
     */
    public AdamW(NDManager parent, Map<String, NDArray> params, Predicate<String> decays, double beta1, double beta2,
                 double eps, double weightDecay) {
        this.manager = parent.newSubManager();
        this.params = params;
        this.decays = decays;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            expAvg.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            expAvgSq.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    public static AdamW of(NDManager parent, Map<String, NDArray> params, TrainingConfig c) {
        return new AdamW(parent, params, AdamW::isMatrixName, c.beta1(), c.beta2(), c.eps(), c.weightDecay());
    }

    /** Norm weights (and any bias) are not decayed, as in HF's Trainer. */
    public static boolean isMatrixName(String name) {
        return !(name.endsWith("norm.weight") || name.endsWith(".bias"));
    }

    /** Optimizer steps taken. */
    public int step() {
        return step;
    }

    /**
     * One update of every parameter from its gradient; must run outside a gradient collector.
     *
     * @param grads gradients by parameter name (already averaged and clipped)
     */
    public void update(Map<String, NDArray> grads, double lr) {
        update(grads, lr, 1.0);
    }

    /**
     * As {@link #update(Map, double)} for gradients still to be multiplied by {@code gradScale} (e.g. 1/units
     * times a clipping factor), folded into the native update rather than a separate pass over every tensor.
     */
    public void update(Map<String, NDArray> grads, double lr, double gradScale) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        // DJL's fused native update computes p -= a · m / (√v + ε') after p *= 1 − lr·wd. With a = lr·√bc2 / bc1
        // and ε' = ε·√bc2 that is exactly torch's p -= lr/bc1 · m / (√v/√bc2 + ε), in one native call per
        // tensor instead of a dozen full passes over it.
        float stepSize = (float) (lr * bc2Sqrt / bc1);
        float epsScaled = (float) (eps * bc2Sqrt);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            float wd = decays.test(name) ? (float) weightDecay : 0f;
            JniUtils.adamUpdate((PtNDArray) e.getValue(), (PtNDArray) grads.get(name), (PtNDArray) expAvg.get(name),
                    (PtNDArray) expAvgSq.get(name), (float) lr, stepSize, wd, (float) gradScale, -1f, (float) beta1, (float) beta2,
                    epsScaled, true);
        }
    }

    /** Moments as fp32 arrays, named {@code <param>.exp_avg} and {@code <param>.exp_avg_sq}. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            s.put(name + ".exp_avg", expAvg.get(name));
            s.put(name + ".exp_avg_sq", expAvgSq.get(name));
        }
        return s;
    }

    /** Restores moments saved by {@link #state()} and the step count. */
    public void load(Map<String, float[]> state, int steps) {
        for (String name : params.keySet()) {
            float[] m = state.get(name + ".exp_avg");
            float[] v = state.get(name + ".exp_avg_sq");
            if (m == null || v == null) {
                throw new IllegalArgumentException("optimizer state has no moments for " + name);
            }
            Tensors.copyInto(expAvg.get(name), m);
            Tensors.copyInto(expAvgSq.get(name), v);
        }
        this.step = steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
