package dev.herd.evals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A benchmark: its items and how a model's output for one item is scored. */
public interface Task {

    enum Type { MULTIPLE_CHOICE, GENERATION, CODE }

    /** lm-evaluation-harness's name: gsm8k, humaneval, mmlu, arc_challenge, arc_easy, ifeval, or custom:PATH. */
    String name();

    Type type();

    List<EvalItem> items();

    /** Strings that end a generation (generation and code tasks). */
    default List<String> stopSequences() {
        return List.of();
    }

    default int maxNewTokens() {
        return 256;
    }

    /**
     * The task's scores from its items' values: by default each metric's mean over items with its interval
     * ({@link Confidence#of}). A task whose metric counts something other than items (IFEval's instruction-level
     * accuracy, N = instructions) says so here.
     */
    default Map<String, Confidence.Interval> aggregate(List<TaskResult.ItemOutcome> outcomes, int bootstrap, long seed) {
        Map<String, List<Double>> byMetric = new LinkedHashMap<>();
        for (TaskResult.ItemOutcome o : outcomes) {
            o.values().forEach((k, v) -> byMetric.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Confidence.Interval> metrics = new LinkedHashMap<>();
        byMetric.forEach((k, v) -> metrics.put(k, Confidence.of(v.stream().mapToDouble(Double::doubleValue).toArray(),
                bootstrap, seed)));
        return metrics;
    }

    /** Metric values of one generated response (generation tasks; code tasks are run by {@link CodeRunner}). */
    default Map<String, Double> scoreGeneration(EvalItem item, String response) {
        throw new IllegalStateException(name() + " is scored by log-likelihood or by running code, not by its text");
    }
}
