package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.Tables;
import dev.herd.datasets.curate.Curator;
import dev.herd.evals.EvalResults;
import dev.herd.evals.EvalStage;
import dev.herd.evals.SplitTask;
import dev.herd.evals.Task;
import dev.herd.evals.TaskResult;
import dev.herd.evals.Tasks;
import dev.herd.llama.ModelAverage;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.ModelInit;
import dev.herd.recipes.Scoring;
import dev.herd.sampling.SampleConfig;
import dev.herd.sampling.SampleModel;
import dev.herd.sampling.SampleResult;
import dev.herd.sampling.SampleStage;
import dev.herd.sampling.scoring.Scorers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The stage calls both loops share, each a resumable {@link Steps step}: the typed stage APIs called with a
 * round's plan, their results recorded as the step's metrics. Nothing here builds a command line or re-reads a
 * file a stage wrote.
 */
final class Stages {

    private final Recipe recipe;
    private final Steps steps;
    private final Path work;
    private final EvalPlan eval;

    Stages(Recipe recipe, Steps steps, EvalPlan eval) {
        this.recipe = recipe;
        this.steps = steps;
        this.work = recipe.work();
        this.eval = eval;
    }

    Steps steps() {
        return steps;
    }

    Ledger ledger() {
        return steps.ledger();
    }

    // ---- set-up ----

    void importFiles(Kind kind, List<Path> files) {
        if (files.isEmpty()) {
            return;
        }
        String name = "import:" + kind.name().toLowerCase(Locale.ROOT);
        steps.storing(0, "setup", name, Ledger.JSON.valueToTree(files.stream().map(Path::toString).toList()),
                () -> st -> new Steps.Outcome(kind.table, Ledger.JSON.createObjectNode().put("rows", new Importer(st).importFiles(kind, files))),
                "[setup] importing " + kind.name().toLowerCase(Locale.ROOT) + " data: " + files);
    }

    /** The folder of a starting model: given, or written by {@link ModelInit} from the recipe's init settings. */
    Path initModel(ModelSpec spec, Path dir, String what) {
        if (spec.folder() != null) {
            return spec.folder();
        }
        steps.step(0, "setup", what, recipe.root().path(what).get("init"), () -> {
            ModelInit.write(spec.init(), dir);
            return new Steps.Outcome(dir.toString(), null);
        }, "initialising a random " + what + " model in " + dir);
        return dir;
    }

    /** Copies the final policy to WORK/final, the folder later recipes (e.g. distillation) start from. */
    void copyFinal(Path policy) {
        Path fin = work.resolve("final");
        steps.step(0, "setup", "final", null, () -> {
            ModelFolder.writeAtomically(fin, tmp -> {
                try (var files = Files.list(policy)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        if (Files.isRegularFile(f)) {
                            Files.copy(f, tmp.resolve(f.getFileName()));
                        }
                    }
                }
            });
            return new Steps.Outcome(fin.toString(), Ledger.JSON.createObjectNode().put("from", policy.toString()));
        }, "copying the final policy " + policy + " to " + fin);
    }

    // ---- training ----

    /**
     * A training stage (rm, sft, dpo): one run per entry of the plan's runs, then, with several runs, their
     * weighted average. Returns the stage's model folder.
     *
     * @param inputs what the runs start from and train on, recorded with each run's settings
     */
    <C> Path train(String stage, int round, TrainPlan<C> plan, Trained.Trainer<C> trainer, ObjectNode inputs, Path out,
                   String what) {
        int n = plan.runs().size();
        List<Path> outs = new ArrayList<>();
        List<ObjectNode> runMetrics = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path o = n == 1 ? out : out.resolveSibling(out.getFileName() + "-run" + (i + 1));
            outs.add(o);
            TrainPlan.Run<C> run = plan.runs().get(i);
            ObjectNode record = Ledger.JSON.createObjectNode();
            record.set("inputs", inputs);
            record.put("out", o.toString());
            record.set("settings", run.settings());
            String name = n == 1 ? "train" : "run" + (i + 1);
            String label = n == 1 ? what : what + " (run " + (i + 1) + " of " + n + ")";
            Steps.Outcome res = steps.step(round, stage, name, record, () -> {
                Trained t = trainer.train(o, run.config());
                dropCheckpoints(o);
                return new Steps.Outcome(o.toString(), heldOut(t.metrics()));
            }, label + " -> " + o);
            runMetrics.add(res.metrics());
        }
        if (n == 1) {
            return out;
        }
        steps.step(round, stage, "average", null, () -> {
            ModelAverage.average(outs, plan.weights(), out);
            return new Steps.Outcome(out.toString(), mean(runMetrics));
        }, String.format("[round %d] %s: averaging the weights of %d runs -> %s", round, stage, n, out));
        return out;
    }

    /** The metrics a round reports of a training run: the last train loss, step, and held-out ({@code eval_*}) values. */
    static ObjectNode heldOut(Map<String, Double> metrics) {
        ObjectNode m = Ledger.JSON.createObjectNode();
        metrics.forEach((k, v) -> {
            if (k.startsWith("eval_") || k.equals("loss")) {
                m.put(k, v);
            } else if (k.equals("step")) {
                m.put(k, v.longValue());
            }
        });
        return m;
    }

    private static ObjectNode mean(List<ObjectNode> runs) {
        ObjectNode m = Ledger.JSON.createObjectNode();
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (ObjectNode r : runs) {
            r.fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[2]);
                    s[0] += e.getValue().asDouble();
                    s[1]++;
                }
            });
        }
        sums.forEach((k, s) -> m.put(k, s[0] / s[1]));
        return m;
    }

    private void dropCheckpoints(Path model) {
        Path ckpt = model.resolveSibling(model.getFileName() + ".ckpt");
        if (!recipe.keepCheckpoints() && Files.isDirectory(ckpt)) {
            ModelFolder.deleteTree(ckpt);
        }
    }

    // ---- sampling and curation ----

    /**
     * Rejection sampling of the round's prompt window into the store (resuming prompt by prompt), with the
     * reward model of this round, if any, as the {@code rm:{rm}} scorer. Returns the scorer's name as the scores
     * carry it, read back from the stage's result rather than re-derived.
     */
    String sample(int round, String name, SamplePlan plan, SampleModel model, Path rm, boolean keep, String what) {
        Scorers scorers = Scoring.all();
        SampleConfig config = rm == null ? plan.config() : plan.config().withReward(plan.config().reward().replace("{rm}", rm.toString()));
        ObjectNode record = Ledger.JSON.createObjectNode();
        record.put("model", model.stored()).put("prompts", plan.promptSlice(round)).put("keep", keep);
        record.set("settings", config.toJson());
        Steps.Outcome o = steps.step(round, "sample", name, record, () -> {
            SampleResult r = ledger().with(s -> SampleStage.intoStore(new SampleStage.StoreTarget(s, round, keep, keep), model,
                    SampleStage.prompts(s, plan.promptSlice(round)), config, scorers));
            return new Steps.Outcome("samples", sampleMetrics(r));
        }, what);
        return o.metrics().path("scorer").asText(null);
    }

    private static ObjectNode sampleMetrics(SampleResult r) {
        ObjectNode o = Ledger.JSON.createObjectNode();
        SampleResult.Measured m = r.measured();
        o.put("samples", m.samples());
        if (r.scorer() != null) {
            o.put("scorer", r.scorer());
        }
        if (m.meanScore() != null) {
            o.put("mean_score", m.meanScore());
            o.put("mean_best_score", m.meanBestScore());
            o.put("prompts", m.scoredPrompts());
        }
        if (m.passRates() != null) {
            o.put("k", m.passRates().k()).put("pass@1", m.passRates().pass1()).put("pass@k", m.passRates().passK());
        }
        return o;
    }

    void curate(int round, CuratePlan plan, String tag) {
        // Curation commits with the step's end: re-running a quantile filter would cut twice.
        steps.storing(round, "curate", "train", plan.settings(), () -> st -> {
            ObjectNode m = Ledger.JSON.createObjectNode();
            for (Curator.Outcome o : Curator.run(st, plan.steps())) {
                o.counts().forEach((k, v) -> m.put(o.step() + "." + k, v));
            }
            m.put("kept_sft", st.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND round = ?", round));
            return new Steps.Outcome("sft", m);
        }, tag + " curating this round's rejection-sampled data (" + plan.where() + ")");
    }

    // ---- evaluation and choice ----

    /** The round's winner on the primary dev score. */
    record Best(String model, double score) {}

    /**
     * Chooses among the candidates on the dev split (ties go to the later one: DPO builds on SFT), then scores
     * every candidate on the test split for the report. The choice is made before any test item is read.
     */
    Best evaluateCandidates(int r, Map<String, Path> candidates) {
        Best best = new Best(null, Double.NEGATIVE_INFINITY);
        for (Map.Entry<String, Path> c : candidates.entrySet()) {
            double score = evaluate(r, c.getKey(), c.getValue().toString(), SplitTask.Split.DEV);
            if (score >= best.score()) {
                best = new Best(c.getValue().toString(), score);
            }
        }
        for (Map.Entry<String, Path> c : candidates.entrySet()) {
            evaluate(r, c.getKey(), c.getValue().toString(), SplitTask.Split.TEST);
        }
        return best;
    }

    void finishRound(int r, Best best, long rsRows) {
        ledger().with(st -> {
            new Tables(st).finishRound(r, best.model(), Ledger.JSON.createObjectNode().put("dev_score", best.score())
                    .put("rs_rows", rsRows).toString());
            return null;
        });
    }

    /** How many of round {@code r}'s rejection-sampled rows the round's SFT trained on ({@code sftData}, after curation). */
    long rsRows(int r, String sftData) {
        return ledger().with(s -> s.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND origin = 'rejection_sampling' "
                + "AND round = ? AND (" + sftData + ")", r));
    }

    /**
     * Evaluates a candidate on one side of the recipe's tasks' fixed dev/test split ({@link SplitTask}), storing
     * the scores with the step's end; returns the primary score (the primary task's first metric). Dev scores
     * only ever choose; test scores only ever report. {@code model} is a folder, or {@code URL#served-name}.
     */
    double evaluate(int round, String candidate, String model, SplitTask.Split split) {
        String stepName = split == SplitTask.Split.TEST ? candidate : candidate + "@" + split.label();
        Steps.Outcome o = steps.storing(round, "eval", stepName, recipe.root().path("eval"), () -> {
            List<Task> tasks = new ArrayList<>();
            for (String t : eval.tasks()) {
                tasks.add(SplitTask.of(Tasks.load(t, eval.dataDir(), -1), split, eval.devFraction()));
            }
            int hash = model.indexOf('#');
            var config = hash < 0 ? eval.config() : eval.config().withServedModel(model.substring(hash + 1));
            List<TaskResult> results = EvalStage.run(hash < 0 ? model : model.substring(0, hash), tasks, config);
            ObjectNode metrics = Ledger.JSON.createObjectNode();
            metrics.put("model", model);
            metrics.put("split", split.label());
            ArrayNode scores = metrics.putArray("scores");
            for (TaskResult r : results) {
                r.metrics().forEach((k, ci) -> scores.addObject().put("task", r.task()).put("metric", k).put("score", ci.score())
                        .put("n", ci.n()).put("lo", ci.low()).put("hi", ci.high()));
            }
            return st -> {
                long evalId = new EvalResults(st).save(model, results, Ledger.JSON.createObjectNode().put("recipe", recipe.name())
                        .put("round", round).put("candidate", candidate).put("split", split.label()).toString());
                metrics.put("eval_run", evalId);
                return new Steps.Outcome(String.valueOf(evalId), metrics);
            };
        }, "[round " + round + "] evaluating " + candidate + " (" + model + ") on the " + split.label() + " split of "
                + String.join(", ", eval.tasks()));
        return primaryScore(o.metrics(), eval.primary());
    }

    static double primaryScore(ObjectNode metrics, String primary) {
        for (JsonNode s : metrics.path("scores")) {
            if (s.path("task").asText().equals(primary)) {
                return s.path("score").asDouble();
            }
        }
        JsonNode first = metrics.path("scores").path(0);
        return first.isMissingNode() ? Double.NaN : first.path("score").asDouble();
    }
}
