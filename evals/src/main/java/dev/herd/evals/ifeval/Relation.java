package dev.herd.evals.ifeval;

/** IFEval's two comparisons of a count with a threshold: "less than" (count &lt; n) and "at least" (count ≥ n). */
enum Relation {
    LESS_THAN, AT_LEAST;

    static Relation parse(String text) {
        return switch (text) {
            case "less than" -> LESS_THAN;
            case "at least" -> AT_LEAST;
            default -> null;
        };
    }

    boolean holds(int count, int threshold) {
        return this == LESS_THAN ? count < threshold : count >= threshold;
    }
}
