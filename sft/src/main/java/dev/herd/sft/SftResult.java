package dev.herd.sft;

import dev.herd.llama.train.TrainingOutcome;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link SftStage#run} wrote and measured.
 *
 * @param model          the model folder written
 * @param metrics        every logged metric at its last value ({@code loss}, {@code eval_loss}, {@code step}, ...)
 * @param finishedBefore the run had already finished: it was resumed at its last checkpoint and nothing was trained now
 */
public record SftResult(Path model, Map<String, Double> metrics, boolean finishedBefore) implements TrainingOutcome {

    public SftResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
