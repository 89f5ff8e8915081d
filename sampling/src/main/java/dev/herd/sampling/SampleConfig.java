package dev.herd.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;
import dev.herd.llama.generate.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * How rejection sampling draws and scores: the one place its knobs, defaults and checks are written. The same
 * keys are {@code herd sample}'s flags and a recipe's {@code stages.sample} object.
 *
 * @param n          samples per prompt (K; Llama 3 used 10–30)
 * @param reward     scorer spec ({@link Scorers}); {@code none} stores unscored samples
 * @param kvBlocks   KV pool size in blocks; 0 sizes it for {@code maxBatch} samples of the longest prompt
 * @param concurrency requests in flight to a served model
 */
public record SampleConfig(int n, String systemPrompt, String reward, SamplingParams params, List<String> stop, int maxBatch,
                           int blockSize, int kvBlocks, boolean promptSharing, int concurrency, int retries, String device) {

    public static final Settings SETTINGS = Settings.of(
            Setting.of("n", 8, "Samples per prompt (K)."),
            Setting.of("system-prompt", (String) null, "System turn added to conversation prompts that have none."),
            Setting.of("reward", "none", "Scorer: none, verify:exact, verify:numeric, verify:regex, verify:auto (each "
                    + "prompt's own verifier field), verify:code, verify:ifeval, rm:DIR, or a weighted mix (rm:DIR=0.7,verify:numeric=0.3)."),
            Setting.of("temperature", 0.8, "0 = greedy."),
            Setting.of("top-p", 1.0, "Nucleus sampling mass."),
            Setting.of("top-k", 0, "0 = all."),
            Setting.of("max-new-tokens", 256, "Longest sample, in tokens."),
            Setting.list("stop", List.of(), "Stop string (repeatable); the text is cut before it."),
            Setting.of("max-batch", 32, "Samples decoding at once."),
            Setting.of("block-size", 16, "Tokens per KV block."),
            Setting.of("kv-blocks", 0, "KV pool size in blocks (0: enough for --max-batch samples of the longest prompt at "
                    + "full length)."),
            Setting.flag("no-prompt-sharing", "Prefill each sample's own copy of the prompt (for comparison)."),
            Setting.of("seed", 0L, "Seed of every draw; each prompt's own seed follows from it and the prompt's id."),
            Setting.of("concurrency", 16, "Requests in flight to a remote model."),
            Setting.of("retries", 5, "Retries (with back-off) of a failed remote request."),
            Setting.of("device", "cpu", "cpu, gpu, gpu:N or auto."));

    public SampleConfig {
        if (n < 1) {
            throw new HerdInputException("--n must be >= 1, got " + n);
        }
        if (maxBatch < 1 || blockSize < 1 || kvBlocks < 0 || concurrency < 1 || retries < 0) {
            throw new HerdInputException("max-batch, block-size and concurrency must be positive, kv-blocks and retries >= 0");
        }
        stop = List.copyOf(stop);
    }

    /** The defaults with a recipe's or config file's keys laid over them. */
    public static SampleConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(overrides, source));
    }

    /** Built from resolved settings ({@link Settings#resolve}). */
    public static SampleConfig of(ObjectNode v) {
        SamplingParams params;
        try {
            params = new SamplingParams(v.get("temperature").asDouble(), v.get("top-k").asInt(), v.get("top-p").asDouble(),
                    v.get("max-new-tokens").asInt(), v.get("seed").asLong());
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(e.getMessage());
        }
        List<String> stop = new ArrayList<>();
        v.get("stop").forEach(s -> stop.add(s.asText()));
        return new SampleConfig(v.get("n").asInt(), v.get("system-prompt").isNull() ? null : v.get("system-prompt").asText(),
                v.get("reward").asText(), params, stop, v.get("max-batch").asInt(), v.get("block-size").asInt(),
                v.get("kv-blocks").asInt(), !v.get("no-prompt-sharing").asBoolean(), v.get("concurrency").asInt(),
                v.get("retries").asInt(), v.get("device").asText());
    }

    /** This config with another reward spec (a recipe's {@code {rm}} filled in) or seed or device. */
    public SampleConfig withReward(String spec) {
        return new SampleConfig(n, systemPrompt, spec, params, stop, maxBatch, blockSize, kvBlocks, promptSharing, concurrency,
                retries, device);
    }

    /** The settings as their keys, e.g. for the record a resumed file or a recipe step is checked against. */
    public ObjectNode toJson() {
        ObjectNode o = SETTINGS.defaults();
        o.put("n", n).put("system-prompt", systemPrompt).put("reward", reward).put("temperature", params.temperature())
                .put("top-p", params.topP()).put("top-k", params.topK()).put("max-new-tokens", params.maxNewTokens())
                .put("max-batch", maxBatch).put("block-size", blockSize).put("kv-blocks", kvBlocks)
                .put("no-prompt-sharing", !promptSharing).put("seed", params.seed()).put("concurrency", concurrency)
                .put("retries", retries).put("device", device);
        o.putArray("stop").addAll(stop.stream().map(s -> o.textNode(s)).toList());
        return o;
    }
}
