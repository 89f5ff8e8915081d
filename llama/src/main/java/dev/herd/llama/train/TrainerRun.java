package dev.herd.llama.train;

import dev.herd.common.Progress;

import dev.herd.llama.ModelFolder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One run of a trainer (SFT, reward model, DPO), the part they share: the output folder is checked before any
 * data is read, the run folder {@code OUT.ckpt/} is opened (or refused as another run's) before a model loads,
 * then the {@link TrainingLoop} runs with checkpoints, a metrics log and held-out evaluation, and the model
 * folder is written with {@code train_metrics.jsonl}. A re-run of the same inputs resumes at the last checkpoint.
 */
public final class TrainerRun {

    /** A logged step's line on stderr (each trainer shows its own metrics). */
    @FunctionalInterface
    public interface StepLine {
        String format(int step, Map<String, Double> metrics);
    }

    /** The outcome of {@link #train}. */
    public record Finished(Path model, Map<String, Double> metrics, boolean finishedBefore) implements TrainingOutcome {}

    private final Path out;
    private final TrainingConfig config;
    private RunFolder folder;

    /** A run writing {@code out}; refuses at once an {@code out} Herd may not replace, before data is read. */
    public TrainerRun(Path out, TrainingConfig config) {
        ModelFolder.checkReplaceable(out);
        this.out = out;
        this.config = config;
    }

    /**
     * Opens the run folder for a run started from {@code record}. Call it once the training data is encoded and
     * before loading a model: a run folder of another run is refused at once, not after training.
     */
    public TrainerRun start(RunRecord record) {
        folder = RunFolder.start(out, record);
        return this;
    }

    private int rowsPerExample = 1;
    private int forwardBatch = -1;

    /**
     * Examples one forward may hold under the memory plan (the batch size when it fits whole): what held-out
     * evaluations batch by too, once {@link #train} has planned.
     */
    public int forwardBatch() {
        return forwardBatch > 0 ? forwardBatch : config.batchSize();
    }

    /** Token rows one example puts through the model (a DPO pair: 2; a ranking: up to 3), for the memory plan. */
    public TrainerRun rowsPerExample(int n) {
        this.rowsPerExample = n;
        return this;
    }

    /** A file in the run folder, for what a trainer caches there (DPO's reference log-probs). */
    public Path file(String name) {
        return started().resolve(name);
    }

    /**
     * Trains {@code model} on {@code examples} to the last step, resuming at the latest checkpoint, and writes
     * the model folder.
     *
     * @param heldOut   held-out metrics (without gradients; logged as {@code eval_*}), or null when nothing is held out
     * @param evalEvery evaluate every N steps (0: at the end only); the last step is always evaluated
     */
    public <E> Finished train(Trainee model, List<E> examples, Objective<E> objective, Supplier<Map<String, Double>> heldOut,
                              int evalEvery, StepLine log) {
        RunFolder run = started();
        model.requireGradients(true);
        TrainingLoop<E> loop = new TrainingLoop<>(config, model.newStepManager(), model.parameters(), examples, objective)
                .checkpointing(new DirectoryCheckpointing(run.dir(), config, 2))
                .onMetrics((step, m) -> {
                    run.appendMetrics(step, m);
                    Progress.log(log.format(step, m));     // above the bar, not onto it
                });
        if (heldOut != null) {
            loop.evaluation(step -> heldOut.get(), evalEvery);
        }
        if (model.config() != null) {
            MemoryPlan plan = MemoryPlan.of(model.config(), config.maxSeqLen(), config.batchSize(), rowsPerExample,
                    MemoryPlan.budget(), model.trainableParameters());
            if (plan.splits(config.batchSize())) {
                Progress.log(String.format("memory plan: a micro-batch of %d examples of up to %d tokens needs about %.1f GB "
                                + "at once, over the budget of %.1f GB; running it as forwards of %d (same steps, same updates)",
                        config.batchSize(), config.maxSeqLen(), (double) plan.bytesPerRow() * config.batchSize() * rowsPerExample / 1e9,
                        plan.budgetBytes() / 1e9, plan.examplesPerForward()));
                loop.examplesPerForward(plan.examplesPerForward());
            }
            forwardBatch = plan.examplesPerForward();
        }
        // The loop returns no metrics only when the checkpoint it resumed at was already the last step.
        boolean finishedBefore = loop.run().isEmpty();
        model.requireGradients(false);
        model.save(out, run::copyMetricsInto);
        return new Finished(out, run.lastMetrics(), finishedBefore);
    }

    private RunFolder started() {
        if (folder == null) {
            throw new IllegalStateException("start(record) the run before training");
        }
        return folder;
    }
}
