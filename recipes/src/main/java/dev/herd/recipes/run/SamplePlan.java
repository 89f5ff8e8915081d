package dev.herd.recipes.run;

import dev.herd.sampling.SampleConfig;

/**
 * A round's rejection sampling as the recipe gives it.
 *
 * @param config          the sampling settings (reward spec with {@code {rm}} still unfilled)
 * @param promptsPerRound a window of prompts that moves on each round; 0 = every prompt
 */
record SamplePlan(SampleConfig config, int promptsPerRound) {

    /** The prompts round {@code round} samples, as SQL over the prompts table. */
    String promptSlice(int round) {
        if (promptsPerRound <= 0) {
            return "true";
        }
        long offset = (long) (round - 1) * promptsPerRound;
        return "id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, count(*) OVER () AS c FROM prompts "
                + "WHERE removed_by IS NULL) WHERE ((i - " + offset + ") % c + c) % c < " + promptsPerRound + ")";
    }
}
