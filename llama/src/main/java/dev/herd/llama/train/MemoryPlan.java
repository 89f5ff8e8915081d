package dev.herd.llama.train;

import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many rows one forward may hold, planned before training rather than found out by the kernel's OOM killer.
 * A row of {@code T} tokens keeps, until its backward, about: the logits, their log-softmax, the softmax and the
 * gradients of each ({@code 6·T·V} floats; measured: 4 rows of 2048 tokens at vocabulary 128,256 took a 24 GB
 * machine down, where {@code 3·T·V} predicted 14 GB), and per layer the attention scores, probabilities and their
 * gradients ({@code 4·H·T²} floats)
 * and the hidden and MLP activations ({@code T·(10·d + 4·I)} floats). The weights, gradients and AdamW's two moments
 * take {@code 4·P} floats besides. A step's examples are then run as forwards of at most that many rows, their
 * gradients accumulated: the same examples per step and the same averaged loss, so the same update.
 */
public record MemoryPlan(long bytesPerRow, long fixedBytes, long budgetBytes, int examplesPerForward) {

    /** The budget: {@code HERD_MEMORY_BUDGET_MB} if set, else 70% of the memory Linux reports available now. */
    public static long budget() {
        String env = System.getenv("HERD_MEMORY_BUDGET_MB");
        if (env != null && !env.isBlank()) {
            try {
                return Long.parseLong(env.strip()) << 20;
            } catch (NumberFormatException e) {
                throw new HerdInputException("HERD_MEMORY_BUDGET_MB must be a number of megabytes, got '" + env + "'");
            }
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return (long) (Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 * 0.7);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall back to the JVM's view below
        }
        return Runtime.getRuntime().maxMemory();
    }

    /**
     * The plan for forwards of {@code rowsPerExample × batchSize} rows of {@code maxSeqLen} tokens.
     *
     * @throws HerdInputException when not even one row fits, naming the settings to lower
     */
    public static MemoryPlan of(LlamaConfig c, int maxSeqLen, int batchSize, int rowsPerExample, long budget) {
        return of(c, maxSeqLen, batchSize, rowsPerExample, budget, c.parameterCount());
    }

    /**
     * As {@link #of(LlamaConfig, int, int, int, long)} when only {@code trainable} numbers are trained (LoRA
     * adapters): the frozen weights take {@code P} floats and the trained ones their gradient and two moments besides.
     */
    public static MemoryPlan of(LlamaConfig c, int maxSeqLen, int batchSize, int rowsPerExample, long budget, long trainable) {
        long t = maxSeqLen;
        long floats = 6L * t * c.vocabSize() + (long) c.numHiddenLayers() * (4L * c.numAttentionHeads() * t * t
                + t * (10L * c.hiddenSize() + 4L * c.intermediateSize()));
        long perRow = floats * Float.BYTES;
        long fixed = (c.parameterCount() + 3L * trainable) * Float.BYTES;
        long rows = (budget - fixed) / perRow;
        if (rows < 1) {
            throw new HerdInputException(String.format("one training row of max-seq-len %d needs about %.1f GB besides the "
                    + "model's %.1f GB, over the memory budget of %.1f GB: lower --max-seq-len", maxSeqLen, perRow / 1e9,
                    fixed / 1e9, budget / 1e9));
        }
        int wanted = Math.max(1, batchSize * rowsPerExample);
        int fit = (int) Math.min(wanted, rows);
        // Whole examples per forward: a pair's or a ranking's rows stay together.
        int examples = Math.max(1, fit / Math.max(1, rowsPerExample));
        return new MemoryPlan(perRow, fixed, budget, Math.min(batchSize, examples));
    }

    /** Whether the step's batch has to be split into several forwards. */
    public boolean splits(int batchSize) {
        return examplesPerForward < batchSize;
    }
}
