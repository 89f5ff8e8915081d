package dev.herd.sampling.cli;

import dev.herd.sampling.SampleConfig;
import dev.herd.sampling.SampleModel;
import dev.herd.sampling.SampleResult;
import dev.herd.sampling.SampleStage;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.rejection.PromptFiles;
import dev.herd.sampling.scoring.Scorers;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.datasets.Store;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herd sample}: flags to a {@link SampleConfig}, then {@link SampleStage}. */
@Command(name = "sample", mixinStandardHelpOptions = true, modelTransformer = ConfiguredCommand.Flags.class,
        description = {"Rejection sampling: K samples per prompt through the paged-KV batch engine, scored; the best "
                + "per prompt becomes an SFT example, (best, worst) a preference pair. Re-run the same command to "
                + "resume: prompts already done are skipped."})
public final class SampleCommand implements Callable<Integer>, ConfiguredCommand {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder (with tokenizer files), or the base URL of an "
            + "OpenAI-compatible server (http://host:port/v1, e.g. vLLM serving a teacher).")
    String model;

    @Option(names = "--adapter", description = "A LoRA adapter folder for a local --model, merged into it at load.")
    Path adapter;

    @Option(names = "--model-name", description = "The served model's name (with an http --model).")
    String modelName;

    @Option(names = "--prompts", required = true, description = "Prompts JSONL (prompt | messages, optional id, answer, "
            + "tests, verifier; or IFEval's instruction_id_list and kwargs), or db:WHERE for the store's prompts matching a SQL condition (with --db).")
    String prompts;

    @Option(names = "--round", description = "Round number stored with the samples (with --db).")
    Integer round;

    @Option(names = "--pairs", description = "Also store (best, worst) preference pairs where their scores differ (with --db).")
    boolean pairs;

    @Option(names = "--no-keep", description = "Store samples and scores only, no SFT example or pair (with --db): "
            + "e.g. a student's samples, scored to find its worst answers.")
    boolean noKeep;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--db", description = "Store samples, scores, the best as SFT examples (origin rejection_sampling) in this store.")
        Path db;

        @Option(names = "--out", description = "Write one JSON line per sample: {prompt_id, sample_index, response, score, "
                + "finish_reason, best, n}; OUT.meta.json beside it records the model and settings a re-run must match.")
        Path out;
    }

    private final Scorers scorers;

    /** With the built-in verifiers as the only scorers. */
    public SampleCommand() {
        this(Scorers.verifiers());
    }

    /** With the scorer kinds {@code --reward} may name. */
    public SampleCommand(Scorers scorers) {
        this.scorers = scorers;
    }

    @Override
    public Settings settings() {
        return SampleConfig.SETTINGS;
    }

    @Override
    public Integer call() {
        SampleConfig config = SampleConfig.of(SampleConfig.SETTINGS.fromCommandLine(spec.commandLine().getParseResult(), null));
        SampleModel source = SampleModel.parse(model, modelName).withAdapter(adapter);
        SampleResult r;
        if (target.db != null) {
            try (Store store = Store.open(target.db)) {
                r = SampleStage.intoStore(new SampleStage.StoreTarget(store, round, !noKeep, pairs), source, prompts(store),
                        config, scorers);
            }
        } else {
            r = SampleStage.intoFile(target.out, source, prompts(null), config, scorers);
        }
        if (r.sampledNow() == 0) {
            System.out.printf("nothing to do: all %d prompts have %d samples%n", r.prompts(), config.n());
        } else if (r.stats() == null) {
            System.out.printf("sampled %d prompts x %d from %s in %.1f s%n", r.sampledNow(), config.n(), model, r.seconds());
        } else {
            System.out.printf("sampled %d prompts x %d in %.1f s: %d tokens generated (%.0f tokens/s), peak %d KV blocks, "
                            + "peak batch %d%n", r.sampledNow(), config.n(), r.seconds(), r.stats().generatedTokens(),
                    r.stats().generatedTokens() / r.seconds(), r.stats().peakBlocks(), r.stats().peakBatch());
        }
        return 0;
    }

    private List<SamplingPrompt> prompts(Store store) {
        if (!prompts.startsWith("db:")) {
            return PromptFiles.read(Path.of(prompts));
        }
        if (store == null) {
            throw new HerdInputException("--prompts db:... needs --db FILE");
        }
        return SampleStage.prompts(store, prompts.substring(3));
    }
}
