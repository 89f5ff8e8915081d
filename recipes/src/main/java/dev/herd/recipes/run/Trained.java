package dev.herd.recipes.run;

import java.nio.file.Path;
import java.util.Map;

/** What one training run returned: its model folder and its last logged metrics (train and held-out). */
record Trained(Path model, Map<String, Double> metrics) {

    /** How one run of a stage is trained, given where to write it and its config. */
    @FunctionalInterface
    interface Trainer<C> {
        Trained train(Path out, C config);
    }
}
