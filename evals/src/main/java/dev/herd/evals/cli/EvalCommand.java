package dev.herd.evals.cli;

import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.evals.EvalConfig;
import dev.herd.evals.EvalStage;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Store;
import dev.herd.evals.CodeRunner;
import dev.herd.evals.Confidence;
import dev.herd.evals.EvalModel;
import dev.herd.evals.EvalResults;
import dev.herd.evals.Evaluator;
import dev.herd.evals.LocalModel;
import dev.herd.evals.OpenAiModel;
import dev.herd.evals.Replay;
import dev.herd.evals.Task;
import dev.herd.evals.TaskResult;
import dev.herd.evals.Tasks;
import dev.herd.openai.OpenAiClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herd eval}: benchmarks with 95% confidence intervals, stored for comparison. */
@Command(name = "eval", mixinStandardHelpOptions = true, modelTransformer = ConfiguredCommand.Flags.class, subcommands = {CompareCommand.class},
        description = "Evaluate a model folder, an OpenAI-compatible endpoint or a replay file on benchmarks; "
                + "every score with N and its 95%% CI.")
public final class EvalCommand implements Callable<Integer>, ConfiguredCommand {

    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", description = "A model folder, an http(s):// endpoint, or replay:FILE.jsonl.")
    String model;

    @Option(names = "--adapter", description = "A LoRA adapter folder for a local --model, merged into it at load.")
    Path adapter;

    @Option(names = "--tasks", split = ",", description = "Comma-separated: " + Tasks.NAMES)
    List<String> tasks;

    @Option(names = "--data-dir", description = "Benchmark files laid out like data/benchmarks (default: ../shared/benchmarks when there, else the "
            + "checkout's data/benchmarks).")
    Path dataDir;

    @Option(names = "--db", description = "Store the run (scores and item outcomes) in this DuckDB store.")
    Path db;

    @Option(names = "--json", description = "Print a JSON array of {task, metric, score, n, ci95, stderr}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Settings settings() {
        return EvalConfig.SETTINGS;
    }

    @Override
    public Integer call() {
        // Checked here, not by picocli, so that `herd eval compare` does not need them.
        if (model == null || tasks == null || tasks.isEmpty()) {
            throw new dev.herd.common.HerdInputException("herd eval needs --model and --tasks (see herd eval --help)");
        }
        EvalConfig c = EvalConfig.of(EvalConfig.SETTINGS.fromCommandLine(spec.commandLine().getParseResult(), null));
        Path data = dataDir != null ? dataDir : Tasks.defaultDataDir();     // the default only where it exists
        List<Task> loaded = new ArrayList<>();
        for (String t : tasks) {
            loaded.add(Tasks.load(t.strip(), data, c.shots()));
        }
        List<TaskResult> results = EvalStage.run(model, adapter, loaded, c);
        Long runId = null;
        if (db != null) {
            try (Store store = Store.open(db)) {
                ObjectNode config = JSON.createObjectNode();
                config.put("limit", c.limit());
                config.put("num_fewshot", c.shots());
                config.put("samples", c.samples());
                config.put("seed", c.seed());
                runId = new EvalResults(store).save(model, results, config.toString());
            }
        }
        print(results, runId);
        return 0;
    }

    private void print(List<TaskResult> results, Long runId) {
        if (json) {
            ArrayNode arr = JSON.createArrayNode();
            for (TaskResult r : results) {
                for (Map.Entry<String, Confidence.Interval> e : r.metrics().entrySet()) {
                    ObjectNode o = arr.addObject();
                    o.put("task", r.task());
                    o.put("metric", e.getKey());
                    o.put("score", e.getValue().score());
                    o.put("n", e.getValue().n());
                    o.putArray("ci95").add(e.getValue().low()).add(e.getValue().high());
                    o.put("stderr", e.getValue().stderr());
                }
            }
            System.out.println(arr);
            return;
        }
        // The metric column fits the longest name (IFEval's prompt_level_strict_acc), 22 at least.
        int width = Math.max(22, results.stream().flatMap(r -> r.metrics().keySet().stream()).mapToInt(String::length)
                .max().orElse(0));
        System.out.printf("%-22s %-" + width + "s %8s  %-19s %7s %8s%n", "task", "metric", "score", "95% CI", "n", "stderr");
        for (TaskResult r : results) {
            for (Map.Entry<String, Confidence.Interval> e : r.metrics().entrySet()) {
                Confidence.Interval ci = e.getValue();
                System.out.printf("%-22s %-" + width + "s %8.4f  [%.4f, %.4f] %7d %8.4f%n", shorten(r.task()), e.getKey(),
                        ci.score(), ci.low(), ci.high(), ci.n(), ci.stderr());
            }
        }
        if (runId != null) {
            System.out.println("stored as eval run " + runId + " in " + db);
        }
    }

    static String shorten(String s) {
        return s.length() <= 22 ? s : "…" + s.substring(s.length() - 21);
    }

}
