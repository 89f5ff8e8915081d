package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A training stage of one round as the recipe gives it: one run per entry of {@code runs} (each laid over the
 * stage's settings), averaged with {@code weights} when there are several, on the store rows {@code data} selects.
 *
 * @param runs    each run's config and the settings it was built from (recorded with the step)
 * @param weights one positive weight per run
 * @param data    SQL condition on the stage's table with {@code {round}} filled in, or null for the loop's default
 */
record TrainPlan<C>(List<Run<C>> runs, double[] weights, String data) {

    /** One run: its typed config, and the recipe settings (defaults not included) it came from. */
    record Run<C>(C config, ObjectNode settings) {}
}
