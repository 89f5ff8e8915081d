package dev.herd.llama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The hyper-parameters every Herd trainer (SFT, reward model, DPO) shares.
 *
 * <p>{@link #SETTINGS} is their one table of keys, defaults and help: a trainer's config (e.g. {@code SftConfig})
 * lays its own settings over it, and recipe JSON, {@code --config FILE.json} ({@code max_steps} is accepted
 * for {@code max-steps}) and the generated command-line flags all resolve against it.
 *
 * @param maxSteps    optimizer steps to stop after; 0 = run all {@code epochs}
 * @param batchSize   examples per micro-batch
 * @param gradAccum   micro-batches per optimizer step
 * @param schedule    {@code cosine}, {@code linear} or {@code constant} decay after warm-up
 * @param minLrRatio  the decayed learning rate's floor, as a fraction of {@code lr}
 * @param maxGradNorm clip the global gradient norm to this; 0 = no clipping
 * @param saveEvery   checkpoint every N optimizer steps (0 = only at the end)
 */
public record TrainingConfig(
        double lr,
        int epochs,
        int maxSteps,
        int batchSize,
        int gradAccum,
        int warmupSteps,
        double weightDecay,
        int maxSeqLen,
        long seed,
        String schedule,
        double minLrRatio,
        double maxGradNorm,
        double beta1,
        double beta2,
        double eps,
        int saveEvery,
        int logEvery) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SCHEDULES = Set.of("cosine", "linear", "constant");

    /**
     * The shared knobs with their defaults (sensible for small-model fine-tuning; a trainer overrides what it
     * needs with {@link Setting#withDefault}). The optimizer's finer knobs are file-only, as they have always been.
     */
    public static final Settings SETTINGS = Settings.of(
            Setting.of("lr", 1e-5, "Peak learning rate."),
            Setting.of("epochs", 1, "Passes over the training data."),
            Setting.of("max-steps", 0, "Stop after this many optimizer steps (0: all epochs)."),
            Setting.of("batch-size", 8, "Examples per micro-batch."),
            Setting.of("grad-accum", 1, "Micro-batches per optimizer step."),
            Setting.of("warmup-steps", 0, "Linear warm-up steps."),
            Setting.of("weight-decay", 0.0, "Decoupled (AdamW) weight decay; norms are never decayed."),
            Setting.of("max-seq-len", 2048, "Longest token sequence (row) trained on."),
            Setting.of("seed", 42L, "Seed of data order and every other random choice."),
            Setting.of("schedule", "cosine", "Decay after warm-up: cosine, linear or constant."),
            Setting.of("min-lr-ratio", 0.0, "The decayed learning rate's floor, as a fraction of lr.").fileOnly(),
            Setting.of("max-grad-norm", 1.0, "Clip the global gradient norm (0: off)."),
            Setting.of("beta1", 0.9, "AdamW's first-moment decay.").fileOnly(),
            Setting.of("beta2", 0.999, "AdamW's second-moment decay.").fileOnly(),
            Setting.of("eps", 1e-8, "AdamW's epsilon.").fileOnly(),
            Setting.of("save-every", 0, "Checkpoint every N optimizer steps (0: at the end only)."),
            Setting.of("log-every", 10, "Log metrics every N optimizer steps."));

    public TrainingConfig {
        require(lr > 0, "lr must be positive, got " + lr);
        require(epochs > 0, "epochs must be positive, got " + epochs);
        require(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        require(batchSize > 0, "batch-size must be positive, got " + batchSize);
        require(gradAccum > 0, "grad-accum must be positive, got " + gradAccum);
        require(warmupSteps >= 0, "warmup-steps must be >= 0, got " + warmupSteps);
        require(weightDecay >= 0, "weight-decay must be >= 0, got " + weightDecay);
        require(maxSeqLen > 0, "max-seq-len must be positive, got " + maxSeqLen);
        require(schedule != null && SCHEDULES.contains(schedule), "schedule must be one of " + SCHEDULES + ", got " + schedule);
        require(minLrRatio >= 0 && minLrRatio <= 1, "min-lr-ratio must be in [0, 1], got " + minLrRatio);
        require(maxGradNorm >= 0, "max-grad-norm must be >= 0, got " + maxGradNorm);
        require(saveEvery >= 0 && logEvery > 0, "save-every must be >= 0 and log-every positive");
    }

    /**
     * The shared settings of {@code resolved}, an object {@link Settings#resolve} made from a table that
     * includes {@link #SETTINGS} (a trainer's own keys are ignored here).
     *
     * @throws IllegalArgumentException naming the setting, when a value is out of range
     */
    public static TrainingConfig of(JsonNode resolved) {
        JsonNode n = resolved;
        return new TrainingConfig(n.get("lr").asDouble(), n.get("epochs").asInt(), n.get("max-steps").asInt(),
                n.get("batch-size").asInt(), n.get("grad-accum").asInt(), n.get("warmup-steps").asInt(),
                n.get("weight-decay").asDouble(), n.get("max-seq-len").asInt(), n.get("seed").asLong(),
                n.get("schedule").asText(null), n.get("min-lr-ratio").asDouble(), n.get("max-grad-norm").asDouble(),
                n.get("beta1").asDouble(), n.get("beta2").asDouble(), n.get("eps").asDouble(),
                n.get("save-every").asInt(), n.get("log-every").asInt());
    }

    /**
     * Builds a trainer's config, turning an out-of-range value ({@link IllegalArgumentException} from a record's
     * checks) into one line naming where the settings came from.
     */
    public static <T> T checked(String source, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(source + ": " + e.getMessage());
        }
    }

    /** The settings under their keys, in {@link #SETTINGS}' order: what run records and checkpoints store. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("epochs", epochs);
        m.put("max-steps", maxSteps);
        m.put("batch-size", batchSize);
        m.put("grad-accum", gradAccum);
        m.put("warmup-steps", warmupSteps);
        m.put("weight-decay", weightDecay);
        m.put("max-seq-len", maxSeqLen);
        m.put("seed", seed);
        m.put("schedule", schedule);
        m.put("min-lr-ratio", minLrRatio);
        m.put("max-grad-norm", maxGradNorm);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("eps", eps);
        m.put("save-every", saveEvery);
        m.put("log-every", logEvery);
        return m;
    }

    /** {@link #toMap} as JSON, the start of a trainer config's {@code toJson()}. */
    public ObjectNode toJson() {
        return JSON.valueToTree(toMap());
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
