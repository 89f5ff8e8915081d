package dev.herd.evals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;

/**
 * How an evaluation runs: {@code herd eval}'s flags and what a recipe's {@code eval} object sets, in one table.
 *
 * @param limit       only the first N items of each task (0: all)
 * @param shots       few-shot examples (-1: each task's default, gsm8k 5, others 0)
 * @param samples     generations per code problem (pass@k for k in 1, 10, 100 up to this)
 * @param bootstrap   resamples for the CI of non-binary metrics
 * @param apiKey      endpoints: bearer key (null: {@code $OPENAI_API_KEY})
 * @param servedModel endpoints: the model's name (null: the first of {@code /v1/models})
 * @param unsafeCode  run code problems unisolated where no sandbox can be made, rather than refuse
 */
public record EvalConfig(int limit, int shots, int samples, double temperature, long seed, int bootstrap, String device, int batch,
                         int concurrency, String apiKey, String servedModel, int codeTimeout, boolean unsafeCode) {

    public static final Settings SETTINGS = Settings.of(
            Setting.of("limit", 0, "Only the first N items of each task (0: all)."),
            Setting.of("num-fewshot", -1, "Few-shot examples (-1: gsm8k 5, others 0)."),
            Setting.of("samples", 1, "Generations per HumanEval problem (pass@k up to this)."),
            Setting.of("temperature", 0.8, "Sampling temperature when --samples > 1."),
            Setting.of("seed", 0L, "Seed of sampling and of the bootstrap."),
            Setting.of("bootstrap", 10000, "Bootstrap resamples for non-binary metrics."),
            Setting.of("device", "cpu", "Local models: cpu, gpu, gpu:N or auto."),
            Setting.of("batch", 8, "Local models: rows per forward pass."),
            Setting.of("concurrency", 8, "Endpoints: requests in flight."),
            Setting.of("api-key", (String) null, "Endpoints: bearer key (default: $OPENAI_API_KEY)."),
            Setting.of("served-model", (String) null, "Endpoints: model name (default: the first of /v1/models)."),
            Setting.of("code-timeout", 10, "Seconds a HumanEval program may run."),
            Setting.flag("unsafe-code", "Run model-written code (HumanEval) without a sandbox where bubblewrap is missing, "
                    + "instead of refusing (lm-evaluation-harness's confirm_run_unsafe_code)."));

    public EvalConfig {
        if (limit < 0 || samples < 1 || bootstrap < 1 || batch < 1 || concurrency < 1 || codeTimeout < 1) {
            throw new HerdInputException("eval: limit must be >= 0; samples, bootstrap, batch, concurrency and code-timeout positive");
        }
    }

    /** This config asking endpoints for {@code name} (a served model named in a model reference). */
    public EvalConfig withServedModel(String name) {
        return new EvalConfig(limit, shots, samples, temperature, seed, bootstrap, device, batch, concurrency, apiKey, name,
                codeTimeout, unsafeCode);
    }

    public static EvalConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(overrides, source));
    }

    public static EvalConfig of(ObjectNode v) {
        return new EvalConfig(v.get("limit").asInt(), v.get("num-fewshot").asInt(), v.get("samples").asInt(),
                v.get("temperature").asDouble(), v.get("seed").asLong(), v.get("bootstrap").asInt(), v.get("device").asText(),
                v.get("batch").asInt(), v.get("concurrency").asInt(), text(v, "api-key"), text(v, "served-model"),
                v.get("code-timeout").asInt(), v.get("unsafe-code").asBoolean());
    }

    private static String text(ObjectNode v, String key) {
        return v.get(key).isNull() ? null : v.get(key).asText();
    }
}
