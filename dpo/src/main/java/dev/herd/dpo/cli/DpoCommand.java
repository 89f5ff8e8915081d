package dev.herd.dpo.cli;

import dev.herd.dpo.DpoConfig;
import dev.herd.dpo.DpoEvaluation;
import dev.herd.dpo.DpoResult;
import dev.herd.dpo.DpoStage;
import dev.herd.dpo.RankedPairs;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.Preference;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.llama.ModelFolder;
import dev.herd.common.config.ConfigFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dpo", mixinStandardHelpOptions = true, subcommands = DpoCommand.Eval.class,
        modelTransformer = ConfiguredCommand.Flags.class,
        description = {"Direct preference optimisation as in Llama 3: beta 0.1, formatting tokens masked from both "
                + "log-probs, NLL (alpha 0.2) on chosen, rankings expanded into pairs; re-run the same command to "
                + "resume after a crash.",
            "DPO settings in --config: beta, nll-alpha, pairs ([\"edited>chosen\", \"edited>rejected\", "
                + "\"chosen>rejected\"]), strengths ([\"significantly better\", \"better\"] or \"all\"), eval-fraction."})
public final class DpoCommand implements Callable<Integer>, ConfiguredCommand {

    // Not picocli-required: `herd dpo eval ...` must parse without the training flags.
    @Option(names = "--policy", description = "Model folder to train (with tokenizer and chat template).")
    Path policy;

    @Option(names = "--ref", description = "Frozen reference model folder (usually the same starting checkpoint; with "
            + "--lora-r: the policy with its adapters disabled, the default).")
    Path ref;

    @Option(names = "--data", description = "Preference JSONL (prompt/chosen/rejected[/edited/strength]), or db:WHERE "
            + "for the store's preferences matching a SQL condition (with --db).")
    String data;

    @Option(names = "--db", description = "The project store, for --data db:WHERE.")
    Path db;

    @Option(names = "--out", description = "Model folder to write (checkpoints and cached reference log-probs go to OUT.ckpt/).")
    Path out;

    @Mixin
    ConfigFile config;

    @Override
    public Settings settings() {
        return DpoConfig.SETTINGS;
    }

    /** The store's preferences matching {@code db:WHERE}, or a JSONL file's. */
    static List<Preference> rankings(String data, Path db) {
        if (!data.startsWith("db:")) {
            return DatasetFiles.readPreferences(Path.of(data));
        }
        if (db == null) {
            throw new HerdInputException("--data db:... needs --db FILE");
        }
        try (Store store = Store.openExisting(db)) {
            return new Tables(store).preferences(data.substring(3));
        }
    }

    private static void require(Object value, String flag) {
        if (value == null) {
            throw new HerdInputException("missing " + flag + " (see herd dpo --help)");
        }
    }

    @Override
    public Integer call() {
        require(policy, "--policy");
        DpoConfig c = DpoConfig.of(config.values(settings(), DpoConfig::withCurrentKeys), config.source());
        Path reference = ref == null && c.lora().enabled() ? policy : ref;    // LoRA: the policy, adapters disabled
        require(reference, "--ref");
        require(data, "--data");
        require(out, "--out");
        ModelFolder.checkReplaceable(out);     // before reading the data: refuse early, not after training
        DpoResult r = DpoStage.run(policy, reference, rankings(data, db), out, c);
        System.out.println(r.summary(m -> String.format("loss %.4f, reward accuracy %.3f%s", m.get("loss"),
                m.get("reward_accuracy"), m.containsKey("eval_reward_accuracy")
                        ? String.format(", held-out reward accuracy %.3f", m.get("eval_reward_accuracy")) : "")));
        return 0;
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Implicit-reward accuracy of a policy against its reference on preference pairs, with a 95%% CI.")
    static final class Eval implements Callable<Integer> {

        @Option(names = "--policy", required = true, description = "Trained policy folder.")
        Path policy;

        @Option(names = "--ref", required = true, description = "Reference model folder.")
        Path ref;

        @Option(names = "--data", required = true, description = "Preference JSONL, or db:WHERE with --db.")
        String data;

        @Option(names = "--db", description = "The project store, for --data db:WHERE.")
        Path db;

        @Option(names = "--beta", description = "KL strength the rewards are scaled by (default 0.1).")
        Double beta;

        @Option(names = "--max-seq-len", defaultValue = "2048", description = "Pairs longer than this are skipped.")
        int maxSeqLen;

        @Option(names = "--batch-size", defaultValue = "8", description = "Pairs per forward batch.")
        int batchSize;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto.")
        String device;

        @Option(names = "--json", description = "Print {reward_accuracy, n, ci95, mean_margin, chosen_logp, rejected_logp}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            // Pairs and loss as training builds them by default; only beta scales the implicit rewards.
            DpoConfig d = DpoConfig.from(new ObjectMapper().valueToTree(beta == null ? Map.of() : Map.of("beta", beta)),
                    "command line");
            DpoEvaluation.Report r = DpoEvaluation.run(policy, ref, RankedPairs.expand(rankings(data, db), d.pairs(), d.strengths()),
                    maxSeqLen, batchSize, d.loss(), Devices.parse(device));
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("reward_accuracy", r.rewardAccuracy());
                o.put("n", r.n());
                o.putArray("ci95").add(r.low()).add(r.high());
                o.put("mean_margin", r.meanMargin());
                o.put("chosen_logp", r.chosenLogp());
                o.put("rejected_logp", r.rejectedLogp());
                System.out.println(new ObjectMapper().writeValueAsString(o));
            } else {
                System.out.printf("reward accuracy %.3f (95%% CI %.3f-%.3f, n=%d)  mean margin %.4f  chosen log-prob %.3f  "
                                + "rejected log-prob %.3f%n", r.rewardAccuracy(), r.low(), r.high(), r.n(), r.meanMargin(),
                        r.chosenLogp(), r.rejectedLogp());
            }
            return 0;
        }
    }
}
