package dev.herd.sft.cli;

import dev.herd.sft.SftConfig;
import dev.herd.sft.SftResult;
import dev.herd.sft.SftStage;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.SftExample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.ModelFolder;
import dev.herd.common.config.ConfigFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code herd sft}: reads the examples and runs {@link SftStage}; the settings' flags come from {@link SftConfig#SETTINGS}. */
@Command(name = "sft", mixinStandardHelpOptions = true, modelTransformer = ConfiguredCommand.Flags.class,
        description = "Supervised fine-tuning on chat data, loss on assistant tokens only, packed rows; re-run the "
                + "same command to resume after a crash.")
public final class SftCommand implements Callable<Integer>, ConfiguredCommand {

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
    ConfigFile config;

    @Override
    public Settings settings() {
        return SftConfig.SETTINGS;
    }

    @Override
    public Integer call() {
        ModelFolder.checkReplaceable(out);     // before reading the data: refuse early, not after training
        SftConfig c = SftConfig.of(config.values(settings()), config.source());
        SftResult r = SftStage.run(base, examples(), out, c);
        System.out.println(r.summary(m -> String.format("train loss %.4f%s", m.get("loss"),
                m.containsKey("eval_loss") ? String.format(", held-out loss %.4f", m.get("eval_loss")) : "")));
        return 0;
    }

    private List<SftExample> examples() {
        if (!data.startsWith("db:")) {
            return DatasetFiles.readSft(Path.of(data));
        }
        if (db == null) {
            throw new HerdInputException("--data db:... needs --db FILE");
        }
        try (Store store = Store.openExisting(db)) {
            return new Tables(store).sft(data.substring(3));
        }
    }
}
