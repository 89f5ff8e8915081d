package dev.herd.llama.cli;

import dev.herd.common.config.ConfiguredCommand;
import dev.herd.common.config.Settings;
import dev.herd.llama.InitConfig;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.ModelInit;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herd init-model}: flags to an {@link InitConfig}, then {@link ModelInit}. */
@Command(name = "init-model", mixinStandardHelpOptions = true, modelTransformer = ConfiguredCommand.Flags.class,
        description = "Write a randomly initialised Llama 3.1 model (normal init, std 0.02) as a complete HF model folder.")
public final class InitModelCommand implements Callable<Integer>, ConfiguredCommand {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, description = "Model folder to create (an existing one only if Herd wrote it).")
    Path out;

    @Override
    public Settings settings() {
        return InitConfig.SETTINGS;
    }

    @Override
    public Integer call() {
        InitConfig c = InitConfig.of(InitConfig.SETTINGS.fromCommandLine(spec.commandLine().getParseResult(), null), "init-model");
        ModelInit.Result r = ModelInit.write(c, out);
        if (r.vocabSummary() != null) {
            System.out.println(r.vocabSummary());
        }
        LlamaConfig m = r.config();
        System.out.printf("wrote %s: %,d parameters (hidden %d, %d layers, %d/%d heads, vocab %d)%n", out, m.parameterCount(),
                c.hidden(), c.layers(), c.heads(), c.kvHeads(), m.vocabSize());
        return 0;
    }
}
