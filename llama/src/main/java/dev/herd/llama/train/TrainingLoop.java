package dev.herd.llama.train;

import dev.herd.common.DataOrder;

import dev.herd.common.Progress;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.herd.common.HerdInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The optimisation loop shared by every trainer: seeded example order, micro-batches accumulated into
 * optimizer steps, loss averaged over all units of a step, global-norm clipping, AdamW with warm-up and decay,
 * metrics, and checkpoints that a re-run resumes from.
 *
 * <p>Which examples a step sees depends only on the step number and the seed, so resuming at step {@code s}
 * reproduces the crashed run's remaining steps exactly. Each step runs in its own {@link NDScope}: nothing it
 * allocates outlives it, and the process's memory stays flat however long the run.
 */
public final class TrainingLoop<E> {

    /** Called after every logged step and evaluation with the metrics of that step. */
    public interface Listener {
        void onMetrics(int step, Map<String, Double> metrics);
    }

    private final TrainingConfig config;
    private final Map<String, NDArray> params;
    private final List<E> examples;
    private final Objective<E> objective;
    private final NDManager manager;
    private Listener listener = (s, m) -> {};
    private Checkpointing checkpointing;
    private IntFunction<Map<String, Double>> evaluator;
    private int evalEvery;

    public TrainingLoop(TrainingConfig config, NDManager manager, Map<String, NDArray> params, List<E> examples,
                        Objective<E> objective) {
        if (examples.isEmpty()) {
            throw new HerdInputException("no training examples");
        }
        this.config = config;
        this.manager = manager;
        this.params = params;
        this.examples = examples;
        this.objective = objective;
    }

    public TrainingLoop<E> onMetrics(Listener l) {
        this.listener = l;
        return this;
    }

    private int examplesPerForward = Integer.MAX_VALUE;

    /**
     * Runs each micro-batch as forwards of at most {@code n} examples ({@link MemoryPlan}): the same examples per
     * step and the same loss averaged over all of them, so the same update, in less memory.
     */
    public TrainingLoop<E> examplesPerForward(int n) {
        this.examplesPerForward = Math.max(1, n);
        return this;
    }

    /** Saves and resumes through {@code c}. */
    public TrainingLoop<E> checkpointing(Checkpointing c) {
        this.checkpointing = c;
        return this;
    }

    /** Runs {@code eval} (no gradients) every {@code every} steps (0: at the end only) and after the last. */
    public TrainingLoop<E> evaluation(IntFunction<Map<String, Double>> eval, int every) {
        this.evaluator = eval;
        this.evalEvery = every;
        return this;
    }

    public int examplesPerStep() {
        return config.batchSize() * config.gradAccum();
    }

    public int stepsPerEpoch() {
        return Math.max(1, (examples.size() + examplesPerStep() - 1) / examplesPerStep());
    }

    /** Optimizer steps of the whole run: {@code max-steps} when set, else all epochs. */
    public int totalSteps() {
        return config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * stepsPerEpoch();
    }

    /** The examples of optimizer step {@code step} (0-based), split into micro-batches. */
    List<List<E>> microBatches(int step) {
        int epoch = step / stepsPerEpoch();
        int within = step % stepsPerEpoch();
        int[] order = DataOrder.permutation(examples.size(), config.seed(), epoch);
        int from = within * examplesPerStep();
        int to = Math.min(order.length, from + examplesPerStep());
        List<List<E>> out = new ArrayList<>();
        int chunk = Math.min(config.batchSize(), examplesPerForward);
        for (int i = from; i < to; i += chunk) {
            List<E> mb = new ArrayList<>();
            for (int j = i; j < Math.min(to, i + chunk); j++) {
                mb.add(examples.get(order[j]));
            }
            out.add(mb);
        }
        return out;
    }

    /** Trains to the last step (resuming from the latest checkpoint, if any) and returns the final metrics. */
    public Map<String, Double> run() {
        int total = totalSteps();
        LrSchedule schedule = LrSchedule.of(config, total);
        try (AdamW optimizer = AdamW.of(manager, params, config)) {
            int start = checkpointing == null ? 0 : checkpointing.resume(params, optimizer);
            Map<String, Double> last = new LinkedHashMap<>();
            try (Progress progress = Progress.of("train", total)) {
                progress.stepTo(start);
                for (int step = start; step < total; step++) {
                    double lr = schedule.at(step + 1);
                    last = new LinkedHashMap<>(step(step, optimizer, lr));
                    Map<String, Double> current = last;
                    int done = step + 1;
                    progress.step(String.format("loss %.4f", last.get("loss")));
                    boolean evalNow = evaluator != null && (done == total || (evalEvery > 0 && done % evalEvery == 0));
                    if (evalNow) {
                        try (NDScope ignored = new NDScope()) {
                            evaluator.apply(done).forEach((k, v) -> current.put("eval_" + k, v));
                        }
                    }
                    if (done % config.logEvery() == 0 || done == total || evalNow) {
                        listener.onMetrics(done, last);
                    }
                    boolean save = done == total || (config.saveEvery() > 0 && done % config.saveEvery() == 0);
                    if (checkpointing != null && save) {
                        checkpointing.save(done, params, optimizer, last);
                    }
                }
            }
            return last;
        }
    }

    private Map<String, Double> step(int step, AdamW optimizer, double lr) {
        long t0 = System.nanoTime();
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDScope ignored = new NDScope(); NDManager stepManager = manager.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double units = 0;
            double lossSum = 0;
            long tokens = 0;
            Map<String, Double> sums = new LinkedHashMap<>();
            for (List<E> mb : microBatches(step)) {
                // Each micro-batch's activations are freed once its backward is done: only the parameters'
                // gradients carry over, so accumulating k micro-batches takes one micro-batch's memory, not k.
                try (NDScope mbScope = new NDScope(); NDManager mbManager = stepManager.newSubManager();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    StepLoss loss = objective.loss(mb, mbManager);
                    gc.backward(loss.sum());
                    lossSum += loss.sum().getFloat();
                    units += loss.units();
                    tokens += loss.tokens();
                    loss.metrics().forEach((k, v) -> sums.merge(k, v, Double::sum));
                }
            }
            if (units <= 0) {
                throw new IllegalStateException("step " + (step + 1) + " has no units to average the loss over");
            }
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                grads.put(e.getKey(), e.getValue().getGradient());
            }
            // The gradients hold sums over the step's units: the mean is sum/units, and clipping scales it
            // further. Both factors go into the optimizer's native update instead of extra passes.
            double norm = GradientClipping.globalNorm(grads.values()) / units;
            if (!Double.isFinite(norm)) {
                List<String> bad = new ArrayList<>();
                for (Map.Entry<String, NDArray> e : grads.entrySet()) {
                    if (!Double.isFinite(GradientClipping.globalNorm(List.of(e.getValue())))) {
                        bad.add(e.getKey());
                    }
                }
                throw new HerdInputException("training diverged at step " + (step + 1) + ": the gradient norm is "
                        + norm + " (loss " + lossSum / units + "; non-finite in " + bad + "); try a lower --lr");
            }
            double clip = config.maxGradNorm() > 0 && norm > config.maxGradNorm()
                    ? config.maxGradNorm() / (norm + 1e-6) : 1.0;
            optimizer.update(grads, lr, clip / units);
            for (NDArray g : grads.values()) {
                g.muli(0f);                             // gradients accumulate across backward calls until zeroed
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            metrics.put("loss", lossSum / units);
            for (Map.Entry<String, Double> e : sums.entrySet()) {
                metrics.put(e.getKey(), e.getValue() / units);
            }
            metrics.put("grad_norm", norm);
            metrics.put("lr", lr);
            metrics.put("tokens", (double) tokens);
            metrics.put("tokens_per_s", tokens / seconds);
            metrics.put("epoch", (double) (step / stepsPerEpoch()));
        }
        return metrics;
    }
}
