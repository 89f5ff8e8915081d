package dev.herd.evals;

import dev.herd.common.HerdInputException;
import dev.herd.common.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs tasks against a model or a replay file and scores them: accuracy and length-normalised accuracy for
 * multiple choice, the task's exact-match metrics for generation, unbiased pass@k for code, each with N and
 * its 95% interval ({@link Confidence}).
 */
public final class Evaluator {

    private final EvalModel model;     // null when replaying
    private final Replay replay;       // null when a model answers
    private final int samples;
    private final double temperature;
    private final long seed;
    private final CodeRunner runner;
    private final int bootstrap;

    /**
     * @param samples generations per code problem (pass@k for k in 1, 10, 100 up to this)
     */
    public Evaluator(EvalModel model, Replay replay, int samples, double temperature, long seed, CodeRunner runner,
                     int bootstrap) {
        this.model = model;
        this.replay = replay;
        this.samples = samples;
        this.temperature = temperature;
        this.seed = seed;
        this.runner = runner;
        this.bootstrap = bootstrap;
    }

    public TaskResult run(Task task, int limit) {
        List<EvalItem> items = limit > 0 && limit < task.items().size() ? task.items().subList(0, limit) : task.items();
        if (items.isEmpty()) {
            throw new HerdInputException(task.name() + ": no items");
        }
        if (replay != null) {
            long missing = items.stream().filter(i -> replay.responses(task.name(), i.id()).isEmpty()).count();
            if (missing > 0) {
                System.err.printf("%s: %d of %d %s items have no recorded response (scored as wrong)%n", replay.name(),
                        missing, items.size(), task.name());
            }
        }
        List<TaskResult.ItemOutcome> outcomes = switch (task.type()) {
            case MULTIPLE_CHOICE -> multipleChoice(task, items);
            case GENERATION -> generation(task, items);
            case CODE -> code(task, items);
        };
        return new TaskResult(task.name(), task.aggregate(outcomes, bootstrap, seed), outcomes);
    }

    private List<TaskResult.ItemOutcome> multipleChoice(Task task, List<EvalItem> items) {
        List<TaskResult.ItemOutcome> out = new ArrayList<>();
        if (replay != null) {
            for (EvalItem item : items) {
                String label = first(replay.responses(task.name(), item.id()));
                double acc = label != null && item.labels().indexOf(label.strip()) == item.gold() ? 1 : 0;
                out.add(new TaskResult.ItemOutcome(item.id(), accuracies(acc, acc), label));
            }
            return out;
        }
        List<EvalModel.Continuation> requests = new ArrayList<>();
        for (EvalItem item : items) {
            for (String c : item.choices()) {
                requests.add(new EvalModel.Continuation(item.prompt(), c));
            }
        }
        double[] ll = new double[requests.size()];
        try (Progress p = Progress.of(task.name(), requests.size())) {
            int chunk = 64;
            for (int from = 0; from < requests.size(); from += chunk) {
                List<EvalModel.Continuation> part = requests.subList(from, Math.min(requests.size(), from + chunk));
                double[] got = model.logLikelihoods(part);
                System.arraycopy(got, 0, ll, from, got.length);
                p.stepTo(from + part.size());
            }
        }
        int at = 0;
        for (EvalItem item : items) {
            int best = -1;
            int bestNorm = -1;
            for (int c = 0; c < item.choices().size(); c++) {
                double v = ll[at + c];
                double norm = v / Math.max(1, item.choices().get(c).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
                if (best < 0 || v > ll[at + best]) {
                    best = c;
                }
                if (bestNorm < 0 || norm > ll[at + bestNorm] / Math.max(1,
                        item.choices().get(bestNorm).getBytes(java.nio.charset.StandardCharsets.UTF_8).length)) {
                    bestNorm = c;
                }
            }
            at += item.choices().size();
            out.add(new TaskResult.ItemOutcome(item.id(), accuracies(best == item.gold() ? 1.0 : 0.0,
                    bestNorm == item.gold() ? 1.0 : 0.0), item.labels().get(best)));
        }
        return out;
    }

    private List<TaskResult.ItemOutcome> generation(Task task, List<EvalItem> items) {
        List<String> responses = responses(task, items, 1, 0.0).stream().map(Evaluator::first).toList();
        List<TaskResult.ItemOutcome> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String r = responses.get(i) == null ? "" : responses.get(i);
            out.add(new TaskResult.ItemOutcome(items.get(i).id(), task.scoreGeneration(items.get(i), r), r));
        }
        return out;
    }

    private List<TaskResult.ItemOutcome> code(Task task, List<EvalItem> items) {
        List<List<String>> responses = responses(task, items, samples, samples > 1 ? Math.max(temperature, 0.2) : 0.0);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Progress p = Progress.of(task.name() + " (running code)", items.size())) {
            List<List<Future<CodeRunner.Outcome>>> futures = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                List<Future<CodeRunner.Outcome>> f = new ArrayList<>();
                for (String completion : responses.get(i)) {
                    String program = HumanEval.program(items.get(i), completion);
                    f.add(pool.submit(() -> runner.run(program)));
                }
                futures.add(f);
            }
            List<TaskResult.ItemOutcome> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                int n = futures.get(i).size();
                int c = 0;
                for (Future<CodeRunner.Outcome> f : futures.get(i)) {
                    if (f.get() == CodeRunner.Outcome.PASSED) {
                        c++;
                    }
                }
                Map<String, Double> values = new LinkedHashMap<>();
                for (int k : new int[] {1, 10, 100}) {
                    if (k <= Math.max(1, n)) {
                        values.put("pass@" + k, n == 0 ? 0.0 : Confidence.passAtK(n, c, k));
                    }
                }
                out.add(new TaskResult.ItemOutcome(items.get(i).id(), values, first(responses.get(i))));
                p.step();
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("running " + task.name() + " code: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** n responses per item, from the replay file or the model (seeded per item and sample). */
    private List<List<String>> responses(Task task, List<EvalItem> items, int n, double temp) {
        List<List<String>> out = new ArrayList<>();
        if (replay != null) {
            for (EvalItem item : items) {
                out.add(replay.responses(task.name(), item.id()));
            }
            return out;
        }
        List<EvalModel.Generation> requests = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            EvalItem item = items.get(i);
            for (int s = 0; s < n; s++) {
                requests.add(new EvalModel.Generation(item.prompt(), item.messages(), task.stopSequences(),
                        task.maxNewTokens(), temp, seed + 1_000_003L * i + s));
            }
        }
        List<String> gen;
        try (Progress p = Progress.of(task.name() + " (generating)", 1)) {
            gen = model.generate(requests);
            p.step();
        }
        for (int i = 0; i < items.size(); i++) {
            out.add(new ArrayList<>(gen.subList(i * n, (i + 1) * n)));
        }
        return out;
    }

    /** lm-eval's multiple-choice metrics, in its order. */
    private static Map<String, Double> accuracies(double acc, double accNorm) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("acc", acc);
        m.put("acc_norm", accNorm);
        return m;
    }

    private static String first(List<String> l) {
        return l == null || l.isEmpty() ? null : l.get(0);
    }
}
