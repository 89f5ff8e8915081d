package dev.herd.sampling;

import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.rejection.LocalSource;
import dev.herd.sampling.rejection.OpenAiSource;
import dev.herd.sampling.rejection.PassRates;
import dev.herd.sampling.rejection.RejectionSampler;
import dev.herd.sampling.rejection.SampleSource;
import dev.herd.sampling.scoring.Scorer;
import dev.herd.sampling.scoring.Scorers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Preference;
import dev.herd.datasets.PromptRow;
import dev.herd.datasets.SampleRow;
import dev.herd.datasets.Score;
import dev.herd.datasets.ScoredSample;
import dev.herd.datasets.SftExample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.common.HerdInputException;
import dev.herd.llama.Devices;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rejection sampling as a stage: K samples per prompt from a model, scored, and either stored (samples, scores,
 * the best as an SFT example, (best, worst) as a preference pair) or written as JSON lines. Both resume: prompts
 * already done are skipped, so calling it again after a crash continues.
 *
 * <pre>{@code
 * try (Store store = Store.open(db)) {
 *     SampleResult r = SampleStage.intoStore(new SampleStage.StoreTarget(store, 1, true, true), SampleModel.local(policy),
 *             SampleStage.prompts(store, "true"), SampleConfig.from(json, "stages.sample"), Scorers.verifiers());
 * }
 * }</pre>
 */
public final class SampleStage {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Where a store run puts its rows.
     *
     * @param round stored with every row; a prompt counts as done only for samples of this round (null: any)
     * @param keep  store the best sample as an SFT example (off for samples that are only scored, e.g. a student's)
     * @param pairs also store (best, worst) as a preference pair where their scores differ
     */
    public record StoreTarget(Store store, Integer round, boolean keep, boolean pairs) {}

    private SampleStage() {}

    /** The store's active prompts matching {@code where}, as sampling prompts. */
    public static List<SamplingPrompt> prompts(Store store, String where) {
        List<SamplingPrompt> out = new ArrayList<>();
        for (PromptRow r : new Tables(store).prompts(where)) {
            out.add(new SamplingPrompt(String.valueOf(r.id()), r.prompt(), r.messages(), r.answer(), null, r.id(), r.verifier()));
        }
        return out;
    }

    /** Samples the prompts not yet done into the store; returns what was done and what the round's samples measure. */
    public static SampleResult intoStore(StoreTarget target, SampleModel model, List<SamplingPrompt> prompts, SampleConfig config,
                                         Scorers scorers) {
        requireTokenizer(model);
        String stored = model.stored();
        Set<String> done = doneInStore(target, stored, config.n());
        try (Scorer scorer = scorers.parse(config.reward(), config.device())) {
            Tables tables = new Tables(target.store());
            // Keys in a fixed order (Map.of's order changes from one JVM to the next): a resumed run stores the same text.
            String paramsJson = JSON.createObjectNode().put("temperature", config.params().temperature())
                    .put("top_p", config.params().topP()).put("top_k", config.params().topK())
                    .put("max_new_tokens", config.params().maxNewTokens()).put("seed", config.params().seed()).toString();
            // One transaction per prompt: its samples, scores, SFT example and pair land together or not at all,
            // so a resumed run never finds a prompt half-stored.
            RejectionSampler.Sink sink = r -> target.store().inTransaction(() -> {
                store(tables, target, r, scorer, stored, paramsJson, config.systemPrompt());
                return null;
            });
            SampleResult run = sample(model, prompts, done, config, scorer, sink);
            return new SampleResult(run.model(), run.scorer(), run.prompts(), run.sampledNow(), run.stats(), run.seconds(),
                    target.round() == null ? null : measure(target.store(), target.round(), stored, run.scorer()));
        }
    }

    /**
     * Samples into a JSON-lines file: one line per sample ({@code prompt_id, sample_index, response, score,
     * finish_reason, best, n}); {@code OUT.meta.json} beside it records the model and settings a resume must match.
     */
    public static SampleResult intoFile(Path out, SampleModel model, List<SamplingPrompt> prompts, SampleConfig config,
                                        Scorers scorers) {
        requireTokenizer(model);
        String modelId = model.remote() ? model.stored() : "sha256:" + ModelFolder.fingerprint(model.dir());
        SampleFile file = new SampleFile(out, model.stored(), modelId, fileSettings(config));
        Set<String> done = file.resume();
        try (Scorer scorer = scorers.parse(config.reward(), config.device())) {
            return sample(model, prompts, done, config, scorer, r -> file.append(lines(r)));
        }
    }

    private static SampleResult sample(SampleModel model, List<SamplingPrompt> all, Set<String> done, SampleConfig config,
                                       Scorer scorer, RejectionSampler.Sink sink) {
        String scorerName = scorer == null ? null : scorer.name();
        List<SamplingPrompt> todo = all.stream().filter(p -> !done.contains(p.id())).toList();
        if (!done.isEmpty()) {
            System.err.printf("resuming: %d of %d prompts already sampled%n", all.size() - todo.size(), all.size());
        }
        if (todo.isEmpty()) {
            return new SampleResult(model.stored(), scorerName, all.size(), 0, null, 0, null);
        }
        long t0 = System.nanoTime();
        PagedEngine.Stats stats = null;
        if (model.remote()) {
            RejectionSampler.Settings s = new RejectionSampler.Settings(config.n(), config.params(), config.systemPrompt(),
                    config.stop(), null);
            try (SampleSource source = new OpenAiSource(model.url(), model.name(), config.concurrency(), config.retries())) {
                RejectionSampler.run(source, todo, s, scorer, sink);
            }
        } else {
            try (LlamaTokenizer tok = LlamaTokenizer.load(model.dir());
                 LlamaModel m = ModelFolder.load(model.dir(), model.adapter(), Devices.parse(config.device()));
                 LocalSource source = new LocalSource(m, tok, model.stored())) {
                ChatEncoder chat = ChatEncoder.of(tok);
                int longest = todo.stream().mapToInt(p -> RejectionSampler.encode(p, config.systemPrompt(), tok, chat).length)
                        .max().orElse(1);
                int perSeq = (longest + config.params().maxNewTokens() + config.blockSize() - 1) / config.blockSize();
                int blocks = config.kvBlocks() > 0 ? config.kvBlocks() : config.maxBatch() * perSeq + perSeq;
                RejectionSampler.Settings s = new RejectionSampler.Settings(config.n(), config.params(), config.systemPrompt(),
                        config.stop(), new PagedEngine.Options(config.maxBatch(), config.blockSize(), blocks, config.promptSharing()));
                RejectionSampler.run(source, todo, s, scorer, sink);
                stats = source.stats();
            }
        }
        return new SampleResult(model.stored(), scorerName, all.size(), todo.size(), stats, (System.nanoTime() - t0) / 1e9, null);
    }

    private static void requireTokenizer(SampleModel model) {
        if (!model.remote() && !LlamaTokenizer.present(model.dir())) {
            throw new HerdInputException(model + ": no tokenizer.json (sampling needs the tokenizer files)");
        }
    }

    /**
     * Prompts that already have K samples from this model in the store (of this round, when the target has one: a
     * later round may sample again from the same policy folder, and must not find its prompts done).
     */
    private static Set<String> doneInStore(StoreTarget target, String model, int n) {
        Map<Long, Integer> count = new HashMap<>();
        List<List<Object>> rows = target.round() == null
                ? new Tables(target.store()).rows("SELECT prompt_id FROM samples WHERE model = ?", model)
                : new Tables(target.store()).rows("SELECT prompt_id FROM samples WHERE model = ? AND round = ?", model, target.round());
        for (List<Object> r : rows) {
            count.merge(((Number) r.get(0)).longValue(), 1, Integer::sum);
        }
        Set<String> out = new HashSet<>();
        count.forEach((id, c) -> {
            if (c >= n) {
                out.add(String.valueOf(id));
            }
        });
        return out;
    }

    /** What decides the lines of a file besides the model, keyed by flag name: a resume must match them. */
    private static ObjectNode fileSettings(SampleConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("n", c.n()).put("temperature", c.params().temperature()).put("top-p", c.params().topP()).put("top-k", c.params().topK())
                .put("max-new-tokens", c.params().maxNewTokens()).put("seed", c.params().seed()).put("system-prompt", c.systemPrompt())
                .put("reward", c.reward());
        c.stop().forEach(o.putArray("stop")::add);
        return o;
    }

    /** One prompt's lines, appended at once: a crash cuts only the last prompt short. */
    private static String lines(RejectionSampler.Result r) {
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
        return sb.toString();
    }

    /** Rejection sampling's business: the samples, their scores, the best as SFT data, (best, worst) as a pair. */
    private static void store(Tables tables, StoreTarget target, RejectionSampler.Result r, Scorer scorer, String model,
                              String paramsJson, String systemPrompt) {
        if (r.prompt().storeId() == null) {
            throw new IllegalStateException("store sink needs stored prompts");
        }
        Integer round = target.round();
        List<SampleRow> rows = new ArrayList<>();
        for (Completion c : r.samples()) {
            rows.add(new SampleRow(0, r.prompt().storeId(), c.text(), model, round, systemPrompt, paramsJson, null));
        }
        List<Long> ids = tables.addSamples(rows);
        if (r.scores() == null) {
            return;
        }
        List<Score> scores = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            scores.add(new Score(ids.get(i), scorer.name(), r.scores()[i], null));
        }
        tables.addScores(scores);
        if (!target.keep()) {
            return;
        }
        List<ChatMessage> conv = new ArrayList<>(r.prompt().asMessages());
        conv.add(ChatMessage.assistant(r.samples().get(r.best()).text()));
        tables.addSft(List.of(new SftExample(0, conv, "rejection_sampling", round, null, null, null, null,
                r.scores()[r.best()], ids.get(r.best()))), null);
        if (target.pairs() && r.scores()[r.best()] > r.scores()[r.worst()]) {
            tables.addPreferences(List.of(new Preference(0, r.prompt().asMessages(), r.samples().get(r.best()).text(),
                    r.samples().get(r.worst()).text(), null, null, "rejection_sampling", round, null)), null);
        }
    }

    /** The round's samples of {@code model}: how many, their mean and mean-best scores, and pass rates. */
    private static SampleResult.Measured measure(Store s, int round, String model, String scorer) {
        long samples = s.count("SELECT count(*) FROM samples WHERE round = ? AND model = ?", round, model);
        Double mean = null;
        Double meanBest = null;
        int scoredPrompts = 0;
        if (scorer != null) {
            List<List<Object>> avg = new Tables(s).rows("SELECT avg(v.value) FROM scores v JOIN samples x ON x.id = v.sample_id "
                    + "WHERE x.round = ? AND x.model = ? AND v.scorer = ?", round, model, scorer);
            if (!avg.isEmpty() && avg.get(0).get(0) != null) {
                mean = ((Number) avg.get(0).get(0)).doubleValue();
                List<ScoredSample> best = bestOf(s, round, model, scorer);
                meanBest = best.stream().mapToDouble(ScoredSample::score).average().orElse(0);
                scoredPrompts = best.size();
            }
        }
        return new SampleResult.Measured(samples, mean, meanBest, scoredPrompts, PassRates.of(s, round, model));
    }

    /** Each prompt's best sample of {@code model} in {@code round} by {@code scorer}. */
    public static List<ScoredSample> bestOf(Store s, int round, String model, String scorer) {
        return new Tables(s).bestSamples(scorer, "round = " + round + " AND model = '" + model.replace("'", "''") + "'");
    }
}
