package dev.herd.dpo;

import dev.herd.llama.train.TrainingOutcome;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link DpoStage#run} wrote and measured.
 *
 * @param model          the policy model folder written
 * @param metrics        every logged metric at its last value ({@code loss}, {@code reward_accuracy},
 *                       {@code eval_*}, {@code step}, ...)
 * @param finishedBefore the run had already finished: it was resumed at its last checkpoint and nothing was trained now
 */
public record DpoResult(Path model, Map<String, Double> metrics, boolean finishedBefore) implements TrainingOutcome {

    public DpoResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
