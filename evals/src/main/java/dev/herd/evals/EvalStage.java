package dev.herd.evals;

import dev.herd.openai.OpenAiClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation as a stage: a model (a folder, an OpenAI-compatible endpoint, or {@code replay:FILE}) on tasks, every
 * score with N and its 95% CI.
 *
 * <pre>{@code
 * List<TaskResult> r = EvalStage.run("runs/x/final", List.of(Tasks.load("gsm8k", dataDir, -1)),
 *         EvalConfig.from(json, "eval"));
 * }</pre>
 */
public final class EvalStage {

    private EvalStage() {}

    public static List<TaskResult> run(String model, List<Task> tasks, EvalConfig c) {
        return run(model, null, tasks, c);
    }

    /** As {@link #run(String, List, EvalConfig)} for the local {@code model} with a LoRA adapter folder merged in. */
    public static List<TaskResult> run(String model, Path adapter, List<Task> tasks, EvalConfig c) {
        if (adapter != null && (OpenAiClient.isUrl(model) || model.startsWith("replay:"))) {
            throw new dev.herd.common.HerdInputException("--adapter needs a local --model folder, not " + model);
        }
        Replay replay = model.startsWith("replay:") ? new Replay(Path.of(model.substring("replay:".length()))) : null;
        List<TaskResult> results = new ArrayList<>();
        try (EvalModel m = replay != null ? null : open(model, adapter, c)) {
            Evaluator ev = new Evaluator(m, replay, c.samples(), c.temperature(), c.seed(),
                    new CodeRunner(Duration.ofSeconds(c.codeTimeout()), 2048, 1024, c.unsafeCode()), c.bootstrap());
            for (Task t : tasks) {
                results.add(ev.run(t, c.limit()));
            }
        }
        return results;
    }

    private static EvalModel open(String model, Path adapter, EvalConfig c) {
        if (OpenAiClient.isUrl(model)) {
            return new OpenAiModel(model, c.apiKey() != null ? c.apiKey() : System.getenv("OPENAI_API_KEY"), c.servedModel(),
                    c.concurrency(), 3);
        }
        return new LocalModel(Path.of(model), adapter, c.device(), c.batch());
    }
}
