package dev.herd.evals;

import java.util.List;
import java.util.Map;

/** A benchmark: its items and how a model's output for one item is scored. */
public interface Task {

    enum Type { MULTIPLE_CHOICE, GENERATION, CODE }

    /** lm-evaluation-harness's name: gsm8k, humaneval, mmlu, arc_challenge, arc_easy, or custom:PATH. */
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

    /** Metric values of one generated response (generation tasks; code tasks are run by {@link CodeRunner}). */
    default Map<String, Double> scoreGeneration(EvalItem item, String response) {
        throw new IllegalStateException(name() + " is scored by log-likelihood or by running code, not by its text");
    }
}
