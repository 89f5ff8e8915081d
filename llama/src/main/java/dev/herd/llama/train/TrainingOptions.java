package dev.herd.llama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The flags every trainer takes, as a picocli mixin ({@code @Mixin TrainingOptions training}). Flags left out
 * are null so that a {@code --config} file's value, or the trainer's default, stands.
 */
public final class TrainingOptions {

    @Option(names = "--config", paramLabel = "FILE.json", description = "Trainer settings; keys are the flag names. Flags win.")
    public Path config;

    @Option(names = "--lr", description = "Peak learning rate.")
    Double lr;

    @Option(names = "--epochs", description = "Passes over the training data.")
    Integer epochs;

    @Option(names = "--max-steps", description = "Stop after this many optimizer steps (0: all epochs).")
    Integer maxSteps;

    @Option(names = "--batch-size", description = "Examples per micro-batch.")
    Integer batchSize;

    @Option(names = "--grad-accum", description = "Micro-batches per optimizer step.")
    Integer gradAccum;

    @Option(names = "--warmup-steps", description = "Linear warm-up steps.")
    Integer warmupSteps;

    @Option(names = "--weight-decay", description = "Decoupled (AdamW) weight decay; norms are never decayed.")
    Double weightDecay;

    @Option(names = "--max-seq-len", description = "Longest token sequence (row) trained on.")
    Integer maxSeqLen;

    @Option(names = "--seed", description = "Seed of data order and every other random choice.")
    Long seed;

    @Option(names = "--schedule", description = "Decay after warm-up: cosine, linear or constant.")
    String schedule;

    @Option(names = "--max-grad-norm", description = "Clip the global gradient norm (0: off).")
    Double maxGradNorm;

    @Option(names = "--save-every", description = "Checkpoint every N optimizer steps (0: at the end only).")
    Integer saveEvery;

    @Option(names = "--log-every", description = "Log metrics every N optimizer steps.")
    Integer logEvery;

    /** The trainer's defaults, then the config file, then the flags given. */
    public TrainingConfig resolve(TrainingConfig defaults) {
        TrainingConfig c = defaults;
        if (config != null) {
            c = c.merge(TrainingConfig.readFile(config), config.toString());
        }
        ObjectNode flags = new ObjectMapper().createObjectNode();
        put(flags, "lr", lr);
        put(flags, "epochs", epochs);
        put(flags, "max-steps", maxSteps);
        put(flags, "batch-size", batchSize);
        put(flags, "grad-accum", gradAccum);
        put(flags, "warmup-steps", warmupSteps);
        put(flags, "weight-decay", weightDecay);
        put(flags, "max-seq-len", maxSeqLen);
        put(flags, "seed", seed);
        put(flags, "schedule", schedule);
        put(flags, "max-grad-norm", maxGradNorm);
        put(flags, "save-every", saveEvery);
        put(flags, "log-every", logEvery);
        return c.merge(flags, "command line");
    }

    /** The config file's object (or an empty one), for a trainer's own keys such as DPO's beta. */
    public JsonNode configFile() {
        return config == null ? new ObjectMapper().createObjectNode() : TrainingConfig.readFile(config);
    }

    private static void put(ObjectNode n, String key, Object value) {
        if (value != null) {
            n.set(key, new ObjectMapper().valueToTree(value));
        }
    }
}
