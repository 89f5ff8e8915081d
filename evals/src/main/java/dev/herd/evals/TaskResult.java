package dev.herd.evals;

import java.util.List;
import java.util.Map;

/**
 * A task's outcome: a score per metric with its interval, and every item's values.
 *
 * @param items per item: id, metric values and the (first) response
 */
public record TaskResult(String task, Map<String, Confidence.Interval> metrics, List<ItemOutcome> items) {

    /** One item's metric values and what the model answered. */
    public record ItemOutcome(String id, Map<String, Double> values, String response) {}
}
