package dev.herd.llama.train;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a trainer optimises: the loss of one micro-batch of examples. SFT, the reward model and DPO each
 * implement this; {@link TrainingLoop} does the rest (order, accumulation, clipping, AdamW, schedule,
 * checkpoints, metrics).
 *
 * @param <E> one training example (a packed conversation, a ranking, a preference pair)
 */
@FunctionalInterface
public interface Objective<E> {

    /**
     * The loss of {@code examples}, <em>summed</em> over its units (target tokens, pairs), computed inside the
     * open gradient collector; arrays go in {@code step}, which is closed after the optimizer step.
     */
    StepLoss loss(List<E> examples, NDManager step);

    /**
     * Held-out evaluation without gradients: {@code loss} and every metric as means over all units of
     * {@code examples}, and {@code units} itself; each batch runs in its own manager from {@code managers}.
     */
    default Map<String, Double> evaluate(List<E> examples, int batchSize, Supplier<NDManager> managers) {
        Map<String, Double> sums = new LinkedHashMap<>();
        double units = 0;
        for (int i = 0; i < examples.size(); i += batchSize) {
            try (NDManager m = managers.get()) {
                StepLoss l = loss(examples.subList(i, Math.min(examples.size(), i + batchSize)), m);
                sums.merge("loss", (double) l.sum().getFloat(), Double::sum);
                l.metrics().forEach((k, v) -> sums.merge(k, v, Double::sum));
                units += l.units();
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : sums.entrySet()) {
            out.put(e.getKey(), units == 0 ? Double.NaN : e.getValue() / units);
        }
        out.put("units", units);
        return out;
    }
}
