package dev.herd.recipes.run;

import dev.herd.evals.EvalConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * How every candidate is evaluated.
 *
 * @param tasks       task names with {@code {data}} filled in (the recipe's data folder)
 * @param primary     the task whose first metric chooses a round's winner
 * @param dataDir     benchmark files ({@code eval.data-dir}, else {@link dev.herd.evals.Tasks#defaultDataDir()})
 * @param devFraction the share of each task's items on the dev side of the fixed split
 * @param config      batch, limit, seed and device of the evaluation
 */
record EvalPlan(List<String> tasks, String primary, Path dataDir, double devFraction, EvalConfig config) {}
