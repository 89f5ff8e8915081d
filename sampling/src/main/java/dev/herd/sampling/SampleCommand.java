package dev.herd.sampling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Preference;
import dev.herd.datasets.PromptRow;
import dev.herd.datasets.SampleRow;
import dev.herd.datasets.Score;
import dev.herd.datasets.SftExample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.OpenAiClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Rejection sampling: K samples per prompt through the paged-KV batch engine, scored; the best "
                + "per prompt becomes an SFT example, (best, worst) a preference pair. Re-run the same command to "
                + "resume: prompts already done are skipped."})
public final class SampleCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "Model folder (with tokenizer files), or the base URL of an "
            + "OpenAI-compatible server (http://host:port/v1, e.g. vLLM serving a teacher).")
    String model;

    @Option(names = "--model-name", description = "The served model's name (with an http --model).")
    String modelName;

    @Option(names = "--concurrency", defaultValue = "16", description = "Requests in flight to a remote model. Default: ${DEFAULT-VALUE}")
    int concurrency;

    @Option(names = "--retries", defaultValue = "5", description = "Retries (with back-off) of a failed remote request. Default: ${DEFAULT-VALUE}")
    int retries;

    @Option(names = "--prompts", required = true, description = "Prompts JSONL (prompt | messages, optional id, answer, "
            + "tests, verifier), or db:WHERE for the store's prompts matching a SQL condition (with --db).")
    String prompts;

    @Option(names = "--n", defaultValue = "8", description = "Samples per prompt (K). Default: ${DEFAULT-VALUE}")
    int n;

    @Option(names = "--system-prompt", description = "System turn added to conversation prompts that have none.")
    String systemPrompt;

    @Option(names = "--reward", defaultValue = "none", description = "Scorer: none, verify:exact, verify:numeric, "
            + "verify:regex, verify:auto (each prompt's own verifier field), verify:code, rm:DIR, or a weighted mix "
            + "(rm:DIR=0.7,verify:numeric=0.3). Default: ${DEFAULT-VALUE}")
    String reward;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 = greedy. Default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Default: ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = all. Default: ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--stop", description = "Stop string (repeatable); the text is cut before it.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--max-batch", defaultValue = "32", description = "Samples decoding at once. Default: ${DEFAULT-VALUE}")
    int maxBatch;

    @Option(names = "--block-size", defaultValue = "16", description = "Tokens per KV block. Default: ${DEFAULT-VALUE}")
    int blockSize;

    @Option(names = "--kv-blocks", defaultValue = "0", description = "KV pool size in blocks (0: enough for --max-batch "
            + "samples of the longest prompt at full length).")
    int kvBlocks;

    @Option(names = "--no-prompt-sharing", description = "Prefill each sample's own copy of the prompt (for comparison).")
    boolean noSharing;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--round", description = "Round number stored with the samples (with --db).")
    Integer round;

    @Option(names = "--pairs", description = "Also store (best, worst) preference pairs where their scores differ (with --db).")
    boolean pairs;

    @Option(names = "--no-keep", description = "Store samples and scores only, no SFT example or pair (with --db): "
            + "e.g. a student's samples, scored to find its worst answers.")
    boolean noKeep;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto. Default: ${DEFAULT-VALUE}")
    String device;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--db", description = "Store samples, scores, the best as SFT examples (origin rejection_sampling) in this store.")
        Path db;

        @Option(names = "--out", description = "Write one JSON line per sample: {prompt_id, sample_index, response, score, "
                + "finish_reason, best, n}; OUT.meta.json beside it records the model and settings a re-run must match.")
        Path out;
    }

    @Override
    public Integer call() {
        if (n < 1) {
            throw new HerdInputException("--n must be >= 1, got " + n);
        }
        SamplingParams params;
        try {
            params = new SamplingParams(temperature, topK, topP, maxNewTokens, seed);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(e.getMessage());
        }
        Scorer scorer = Scorers.parse(reward);
        boolean remote = OpenAiClient.isUrl(model);
        Path dir = remote ? null : Path.of(model);
        if (!remote && !LlamaTokenizer.present(dir)) {
            throw new HerdInputException(model + ": no tokenizer.json (sampling needs the tokenizer files)");
        }
        Store store = target.db != null ? Store.open(target.db) : null;
        try {
            List<SamplingPrompt> all = loadPrompts(store);
            String modelId = store != null ? null : remote ? modelName() : "sha256:" + ModelFolder.fingerprint(dir);
            SampleFile file = store != null ? null : new SampleFile(target.out, modelName(), modelId, fileSettings());
            Set<String> done = store != null ? doneInStore(store) : file.resume();
            List<SamplingPrompt> todo = all.stream().filter(p -> !done.contains(p.id())).toList();
            if (!done.isEmpty()) {
                System.err.printf("resuming: %d of %d prompts already sampled%n", all.size() - todo.size(), all.size());
            }
            if (todo.isEmpty()) {
                System.out.printf("nothing to do: all %d prompts have %d samples%n", all.size(), n);
                return 0;
            }
            RejectionSampler.Sink sink = store != null ? storeSink(store, params, scorer) : fileSink(file);
            long t0 = System.nanoTime();
            PagedEngine.Stats stats;
            if (remote) {
                RejectionSampler.Settings s = new RejectionSampler.Settings(n, params, systemPrompt, stop, null);
                try (SampleSource source = RemoteSources.open(model, modelName, concurrency, retries)) {
                    RejectionSampler.run(source, todo, s, scorer, sink);
                }
                stats = null;
            } else {
                try (LlamaTokenizer tok = LlamaTokenizer.load(dir);
                     LlamaModel m = ModelFolder.load(dir, Devices.parse(device));
                     LocalSource source = new LocalSource(m, tok, modelName())) {
                    ChatEncoder chat = ChatEncoder.of(tok);
                    int longest = todo.stream().mapToInt(p -> RejectionSampler.encode(p, systemPrompt, tok, chat).length).max().orElse(1);
                    int perSeq = (longest + maxNewTokens + blockSize - 1) / blockSize;
                    int blocks = kvBlocks > 0 ? kvBlocks : maxBatch * perSeq + perSeq;
                    RejectionSampler.Settings s = new RejectionSampler.Settings(n, params, systemPrompt, stop,
                            new PagedEngine.Options(maxBatch, blockSize, blocks, !noSharing));
                    RejectionSampler.run(source, todo, s, scorer, sink);
                    stats = source.stats();
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (stats == null) {
                System.out.printf("sampled %d prompts x %d from %s in %.1f s%n", todo.size(), n, model, secs);
            } else {
                System.out.printf("sampled %d prompts x %d in %.1f s: %d tokens generated (%.0f tokens/s), peak %d KV blocks, "
                                + "peak batch %d%n", todo.size(), n, secs, stats.generatedTokens(), stats.generatedTokens() / secs,
                        stats.peakBlocks(), stats.peakBatch());
            }
            return 0;
        } finally {
            if (store != null) {
                store.close();
            }
            if (scorer != null) {
                scorer.close();
            }
        }
    }

    private List<SamplingPrompt> loadPrompts(Store store) {
        if (!prompts.startsWith("db:")) {
            return PromptFiles.read(Path.of(prompts));
        }
        if (store == null) {
            throw new HerdInputException("--prompts db:... needs --db FILE");
        }
        List<SamplingPrompt> out = new ArrayList<>();
        for (PromptRow r : new Tables(store).prompts(prompts.substring(3))) {
            out.add(new SamplingPrompt(String.valueOf(r.id()), r.prompt(), r.messages(), r.answer(), null, r.id(),
                    r.verifier()));
        }
        return out;
    }

    /** The model as stored with each sample: the folder's absolute path, or the served name at its URL. */
    private String modelName() {
        boolean remote = OpenAiClient.isUrl(model);
        return remote ? modelName + "@" + model : Path.of(model).toAbsolutePath().normalize().toString();
    }

    /**
     * Prompts that already have K samples from this model in the store (of this round, with {@code --round}: a
     * later round may sample again from the same policy folder, and must not find its prompts done).
     */
    private Set<String> doneInStore(Store store) {
        Map<Long, Integer> count = new HashMap<>();
        String where = "model = '" + modelName().replace("'", "''") + "'" + (round == null ? "" : " AND round = " + round);
        for (SampleRow r : new Tables(store).samples(where)) {
            count.merge(r.promptId(), 1, Integer::sum);
        }
        Set<String> out = new HashSet<>();
        count.forEach((id, c) -> {
            if (c >= n) {
                out.add(String.valueOf(id));
            }
        });
        return out;
    }

    /** What decides the lines of an --out file besides the model, keyed by flag name: a resume must match them. */
    private ObjectNode fileSettings() {
        ObjectNode o = JSON.createObjectNode();
        o.put("n", n).put("temperature", temperature).put("top-p", topP).put("top-k", topK).put("max-new-tokens", maxNewTokens)
                .put("seed", seed).put("system-prompt", systemPrompt).put("reward", reward);
        stop.forEach(o.putArray("stop")::add);
        return o;
    }

    private RejectionSampler.Sink fileSink(SampleFile file) {
        return r -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.samples().size(); i++) {
                ObjectNode o = JSON.createObjectNode();
                o.put("prompt_id", r.prompt().id());
                o.put("sample_index", i);
                o.put("response", r.samples().get(i).text());
                if (r.scores() == null) {
                    o.putNull("score");
                } else {
                    o.put("score", r.scores()[i]);
                }
                o.put("finish_reason", r.samples().get(i).finishReason());
                o.put("best", i == r.best());
                o.put("n", r.samples().size());
                sb.append(o).append('\n');
            }
            file.append(sb.toString());            // one append per prompt: a crash cuts only the last one short
        };
    }

    private RejectionSampler.Sink storeSink(Store store, SamplingParams params, Scorer scorer) {
        Tables tables = new Tables(store);
        String paramsJson = JSON.valueToTree(Map.of("temperature", params.temperature(), "top_p", params.topP(),
                "top_k", params.topK(), "max_new_tokens", params.maxNewTokens(), "seed", params.seed())).toString();
        String model = modelName();
        // One transaction per prompt: its samples, scores, SFT example and pair land together or not at all,
        // so a resumed run never finds a prompt half-stored.
        return r -> store.inTransaction(() -> {
            storePrompt(tables, r, scorer, model, paramsJson);
            return null;
        });
    }

    private void storePrompt(Tables tables, RejectionSampler.Result r, Scorer scorer, String model, String paramsJson) {
        if (r.prompt().storeId() == null) {
            throw new IllegalStateException("store sink needs stored prompts");
        }
        List<SampleRow> rows = new ArrayList<>();
        for (Completion c : r.samples()) {
            rows.add(new SampleRow(0, r.prompt().storeId(), c.text(), model, round, systemPrompt, paramsJson, null));
        }
        List<Long> ids = tables.addSamples(rows);
        if (r.scores() == null) {
            return;
        }
        String scorerName = scorer.name();
        List<Score> scores = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            scores.add(new Score(ids.get(i), scorerName, r.scores()[i], null));
        }
        tables.addScores(scores);
        if (noKeep) {
            return;
        }
        List<ChatMessage> conv = new ArrayList<>(r.prompt().asMessages());
        conv.add(ChatMessage.assistant(r.samples().get(r.best()).text()));
        tables.addSft(List.of(new SftExample(0, conv, "rejection_sampling", round, null, null, null, null,
                r.scores()[r.best()], ids.get(r.best()))), null);
        if (pairs && r.scores()[r.best()] > r.scores()[r.worst()]) {
            tables.addPreferences(List.of(new Preference(0, r.prompt().asMessages(), r.samples().get(r.best()).text(),
                    r.samples().get(r.worst()).text(), null, null, "rejection_sampling", round, null)), null);
        }
    }
}
