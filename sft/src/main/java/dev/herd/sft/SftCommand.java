package dev.herd.sft;

import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.SftExample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.train.TrainingConfig;
import dev.herd.llama.train.TrainingOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning on chat data, loss on assistant tokens only, packed rows; re-run the "
                + "same command to resume after a crash.")
public final class SftCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "Model folder to start from (with tokenizer and chat template).")
    Path base;

    @Option(names = "--data", required = true, description = "A JSONL file (messages | prompt+completion), or db:WHERE "
            + "for the store's active SFT rows matching a SQL condition (with --db), e.g. db:\"round = 2\".")
    String data;

    @Option(names = "--db", description = "The project store, for --data db:WHERE.")
    Path db;

    @Option(names = "--out", required = true, description = "Model folder to write (checkpoints go to OUT.ckpt/).")
    Path out;

    @Mixin
    TrainingOptions training;

    @Option(names = "--no-pack", description = "One conversation per row instead of packing several per row.")
    boolean noPack;

    @Option(names = "--overlong", defaultValue = "truncate", description = "truncate or drop conversations over --max-seq-len.")
    String overlong;

    @Option(names = "--eval-fraction", defaultValue = "0.05", description = "Held-out share when no row has split test/validation.")
    double evalFraction;

    @Option(names = "--eval-every", defaultValue = "0", description = "Held-out loss every N steps (0: at the end).")
    int evalEvery;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto.")
    String device;

    /** SFT's defaults: the shared ones (lr 1e-5 as Llama 3's SFT, cosine, 1 epoch, max-seq-len 2048). */
    static TrainingConfig defaults() {
        return TrainingConfig.defaults();
    }

    @Override
    public Integer call() {
        ModelFolder.checkReplaceable(out);     // before reading the data: refuse early, not after training
        TrainingConfig config = training.resolve(defaults());
        List<SftExample> examples;
        if (data.startsWith("db:")) {
            if (db == null) {
                throw new HerdInputException("--data db:... needs --db FILE");
            }
            try (Store store = Store.openExisting(db)) {
                examples = new Tables(store).sft(data.substring(3));
            }
        } else {
            examples = DatasetFiles.readSft(Path.of(data));
        }
        SftEncoder.Overlong policy = switch (overlong) {
            case "truncate" -> SftEncoder.Overlong.TRUNCATE;
            case "drop" -> SftEncoder.Overlong.DROP;
            default -> throw new HerdInputException("--overlong must be truncate or drop, got " + overlong);
        };
        Map<String, Double> m = SftTrainer.train(base, examples, out, config,
                new SftTrainer.Options(!noPack, policy, evalFraction, evalEvery, device));
        if (!m.containsKey("loss")) {
            System.out.printf("wrote %s (training had already finished: resumed at its last checkpoint)%n", out);
        } else {
            System.out.printf("wrote %s: train loss %.4f%s%n", out, m.get("loss"),
                    m.containsKey("eval_loss") ? String.format(", held-out loss %.4f", m.get("eval_loss")) : "");
        }
        return 0;
    }
}
