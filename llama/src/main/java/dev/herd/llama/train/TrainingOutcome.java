package dev.herd.llama.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/** What a training stage hands back: the model folder it wrote and the run's metrics. */
public interface TrainingOutcome {

    /** The model folder written. */
    Path model();

    /**
     * Every metric the run logged ({@code loss}, {@code step}, {@code eval_*}, ...), at its last logged value,
     * read from the run's own log: present also when the run had already finished and was only resumed.
     */
    Map<String, Double> metrics();

    /** Whether the run folder held a finished run, so that no step was trained now. */
    boolean finishedBefore();

    /**
     * The line a trainer command prints: {@code wrote OUT: DETAIL} with {@code detail} made from the metrics,
     * or, when nothing was trained now, that the run had already finished.
     */
    default String summary(Function<Map<String, Double>, String> detail) {
        return finishedBefore()
                ? String.format("wrote %s (training had already finished: resumed at its last checkpoint)", model())
                : String.format("wrote %s: %s", model(), detail.apply(metrics()));
    }
}
