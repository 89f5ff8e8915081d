package dev.herd.rm.cli;

import dev.herd.rm.BradleyTerryObjective;
import dev.herd.rm.EncodedRanking;
import dev.herd.rm.RankingEncoder;
import dev.herd.rm.RewardModel;
import dev.herd.rm.RewardScoring;
import dev.herd.rm.RmConfig;
import dev.herd.rm.RmResult;
import dev.herd.rm.RmStage;
import dev.herd.rm.StoreScores;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.BinomialInterval;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.Preference;
import dev.herd.datasets.Store;
import dev.herd.datasets.Strength;
import dev.herd.datasets.Tables;
import dev.herd.llama.Devices;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.common.config.ConfigFile;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rm", mixinStandardHelpOptions = true, subcommands = {RmCommand.Train.class, RmCommand.ScoreCmd.class, RmCommand.Eval.class},
        description = "Reward model: Bradley-Terry on ranked responses (edited > chosen > rejected), scoring, evaluation.")
public final class RmCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Where rankings come from: a JSONL file or the store (with an optional SQL filter). */
    static final class Source {
        @Option(names = "--data", description = "Preference JSONL (prompt/chosen/rejected, optional edited and strength).")
        Path data;

        @Option(names = "--db", description = "The project store: its preferences table.")
        Path db;
    }

    static List<Preference> rankings(Source src, String where) {
        if (src.data != null) {
            return DatasetFiles.readPreferences(src.data);
        }
        try (Store store = Store.openExisting(src.db)) {
            return new Tables(store).preferences(where);
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, modelTransformer = ConfiguredCommand.Flags.class,
            description = "Train a reward model from a base/policy checkpoint; re-run the same command to resume.")
    static final class Train implements Callable<Integer>, ConfiguredCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--where", description = "SQL condition on the store's preferences (with --db), e.g. \"round = 2\".")
        String where;

        @Option(names = "--base", required = true, description = "Checkpoint to start from (its decoder; a new score head).")
        Path base;

        @Option(names = "--out", required = true, description = "Reward model folder to write (checkpoints in OUT.ckpt/).")
        Path out;

        @Mixin
        ConfigFile config;

        @Override
        public Settings settings() {
            return RmConfig.SETTINGS;
        }

        @Override
        public Integer call() {
            ModelFolder.checkReplaceable(out);     // before reading the data: refuse early, not after training
            RmConfig c = RmConfig.of(config.values(settings()), config.source());
            RmResult r = RmStage.train(base, rankings(source, where), out, c);
            System.out.println(r.summary(m -> String.format("loss %.4f, pairwise accuracy %.3f%s", m.get("loss"),
                    m.get("pairwise_accuracy"), m.containsKey("eval_pairwise_accuracy")
                            ? String.format(", held-out pairwise accuracy %.3f", m.get("eval_pairwise_accuracy")) : "")));
            return 0;
        }
    }

    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "Print the reward of one response, or score the store's samples that this model has not scored.")
    static final class ScoreCmd implements Callable<Integer> {
        @Option(names = "--rm", required = true, description = "Reward model folder.")
        Path rm;

        @Option(names = "--db", description = "Score every stored sample without a score from this model (scorer rm:PATH).")
        Path db;

        @Option(names = "--prompt", description = "A user message.")
        String prompt;

        @Option(names = "--response", description = "The assistant's answer to it.")
        String response;

        @Option(names = "--batch-size", defaultValue = "8", description = "Prompts per forward. Default: ${DEFAULT-VALUE}")
        int batchSize;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto.")
        String device;

        @Override
        public Integer call() {
            if ((db == null) == (prompt == null || response == null)) {
                throw new HerdInputException("give either --db FILE or both --prompt and --response");
            }
            if (db == null) {
                try (RewardScoring scoring = new RewardScoring(rm, device, batchSize)) {
                    System.out.printf("%.6f%n", scoring.score(List.of(List.of(ChatMessage.user(prompt))), List.of(response))[0]);
                }
                return 0;
            }
            try (Store store = Store.openExisting(db)) {
                StoreScores s = RmStage.scoreStore(store, rm, null, device, batchSize);
                System.out.printf("scored %d samples with %s (%d already scored)%n", s.scored(), s.scorer(), s.alreadyScored());
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Pairwise accuracy over every ordered pair of held-out rankings, with a 95%% CI.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--rm", required = true, description = "Reward model folder.")
        Path rm;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--where", description = "SQL condition on the store's preferences (with --db).")
        String where;

        @Option(names = "--batch-size", defaultValue = "8", description = "Rankings per forward. Default: ${DEFAULT-VALUE}")
        int batchSize;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto.")
        String device;

        @Option(names = "--json", description = "Print {pairwise_accuracy, n, ci95, mean_margin}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Double> m;
            try (RewardModel model = RewardModel.load(rm, Devices.parse(device)); LlamaTokenizer tok = LlamaTokenizer.load(rm)) {
                List<EncodedRanking> rankings = new RankingEncoder(ChatEncoder.of(tok), Integer.MAX_VALUE, RankingEncoder.Pairs.ALL,
                        false, EnumSet.allOf(Strength.class)).encode(rankings(source, where));
                m = new BradleyTerryObjective(model).evaluate(rankings, batchSize);
            }
            int n = (int) Math.round(m.get("units"));
            BinomialInterval ci = BinomialInterval.of(n == 0 ? 0 : m.get("pairwise_accuracy"), n);
            double s = ci.score();
            double lo = ci.low();
            double hi = ci.high();
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("pairwise_accuracy", s);
                o.put("n", n);
                o.putArray("ci95").add(lo).add(hi);
                o.put("mean_margin", n == 0 ? 0 : m.get("margin"));
                System.out.println(o);
            } else {
                System.out.printf("pairwise accuracy %.3f (95%% CI %.3f-%.3f, n=%d pairs)  mean margin %.4f%n", s, lo, hi, n,
                        n == 0 ? 0 : m.get("margin"));
            }
            return 0;
        }
    }
}
