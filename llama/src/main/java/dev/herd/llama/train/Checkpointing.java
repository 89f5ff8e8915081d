package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** Where a {@link TrainingLoop} saves its state and finds it again after a crash. */
interface Checkpointing {

    /**
     * Loads the latest complete checkpoint into {@code params} and {@code optimizer}.
     *
     * @return the number of optimizer steps already done (0 when starting fresh)
     */
    int resume(Map<String, NDArray> params, AdamW optimizer);

    /** Saves parameters, optimizer state and metrics after {@code step} optimizer steps, atomically. */
    void save(int step, Map<String, NDArray> params, AdamW optimizer, Map<String, Double> metrics);
}
