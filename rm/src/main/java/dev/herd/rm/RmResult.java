package dev.herd.rm;

import dev.herd.llama.train.TrainingOutcome;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link RmStage#train} wrote and measured.
 *
 * @param model          the reward model folder written
 * @param metrics        every logged metric at its last value ({@code loss}, {@code pairwise_accuracy},
 *                       {@code eval_*}, {@code step}, ...)
 * @param finishedBefore the run had already finished: it was resumed at its last checkpoint and nothing was trained now
 */
public record RmResult(Path model, Map<String, Double> metrics, boolean finishedBefore) implements TrainingOutcome {

    public RmResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
