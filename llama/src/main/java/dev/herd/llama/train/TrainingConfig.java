package dev.herd.llama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The hyper-parameters every Herd trainer (SFT, reward model, DPO) shares.
 *
 * <p>They come from three layers, later ones winning: the trainer's defaults, a {@code --config FILE.json}
 * whose keys are the flag names ({@code "lr"}, {@code "max-steps"}; {@code max_steps} is accepted too), and
 * the flags given on the command line.
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

    public TrainingConfig {
        require(lr > 0, "lr must be positive, got " + lr);
        require(epochs > 0, "epochs must be positive, got " + epochs);
        require(maxSteps >= 0, "max-steps must be >= 0, got " + maxSteps);
        require(batchSize > 0, "batch-size must be positive, got " + batchSize);
        require(gradAccum > 0, "grad-accum must be positive, got " + gradAccum);
        require(warmupSteps >= 0, "warmup-steps must be >= 0, got " + warmupSteps);
        require(weightDecay >= 0, "weight-decay must be >= 0, got " + weightDecay);
        require(maxSeqLen > 0, "max-seq-len must be positive, got " + maxSeqLen);
        require(SCHEDULES.contains(schedule), "schedule must be one of " + SCHEDULES + ", got " + schedule);
        require(minLrRatio >= 0 && minLrRatio <= 1, "min-lr-ratio must be in [0, 1], got " + minLrRatio);
        require(maxGradNorm >= 0, "max-grad-norm must be >= 0, got " + maxGradNorm);
        require(saveEvery >= 0 && logEvery > 0, "save-every must be >= 0 and log-every positive");
    }

    /** Sensible defaults for small-model fine-tuning; each trainer overrides what it needs. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(1e-5, 1, 0, 8, 1, 0, 0.0, 2048, 42, "cosine", 0.0, 1.0, 0.9, 0.999, 1e-8, 0, 10);
    }

    /** This config with the keys of a JSON object applied; unknown keys are an error naming the file. */
    public TrainingConfig merge(JsonNode overrides, String source) {
        ObjectNode node = JSON.valueToTree(toMap());
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = e.getKey().replace('_', '-');
            if (!node.has(key)) {
                continue; // keys of the trainer itself (beta, alpha, ...) share the file; they check theirs
            }
            JsonNode old = node.get(key);
            JsonNode value = e.getValue();
            boolean ok = old.isNumber() ? value.isNumber() : old.isTextual() == value.isTextual();
            if (!ok || (old.isIntegralNumber() && !value.isIntegralNumber())) {
                throw new HerdInputException(source + ": key '" + e.getKey() + "' must be "
                        + (old.isIntegralNumber() ? "an integer" : old.isNumber() ? "a number" : "a string")
                        + ", got " + value);
            }
            node.set(key, value);
        }
        try {
            return fromMap(node);
        } catch (IllegalArgumentException ex) {
            throw new HerdInputException(source + ": " + ex.getMessage());
        }
    }

    /** Reads a trainer config file as a JSON object. */
    public static JsonNode readFile(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new HerdInputException(file + ": expected a JSON object of trainer settings");
            }
            return node;
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new HerdInputException(file + ": no such file");
            }
            String msg = e.getMessage() == null ? "" : e.getMessage().split("\n")[0];
            throw new HerdInputException(file + ": not valid JSON: " + msg);
        }
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
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

    static TrainingConfig fromMap(JsonNode n) {
        return new TrainingConfig(n.get("lr").asDouble(), n.get("epochs").asInt(), n.get("max-steps").asInt(),
                n.get("batch-size").asInt(), n.get("grad-accum").asInt(), n.get("warmup-steps").asInt(),
                n.get("weight-decay").asDouble(), n.get("max-seq-len").asInt(), n.get("seed").asLong(),
                n.get("schedule").asText(), n.get("min-lr-ratio").asDouble(), n.get("max-grad-norm").asDouble(),
                n.get("beta1").asDouble(), n.get("beta2").asDouble(), n.get("eps").asDouble(),
                n.get("save-every").asInt(), n.get("log-every").asInt());
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
