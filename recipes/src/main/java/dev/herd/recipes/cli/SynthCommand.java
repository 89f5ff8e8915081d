package dev.herd.recipes.cli;

import dev.herd.recipes.synth.SynthData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write the demo's synthetic data (arithmetic word problems and format instructions with "
                + "verifiable answers): seed SFT conversations, prompts with answers, simulated annotator rankings "
                + "with strengths and edits, and a held-out eval set (custom: task format).")
public final class SynthCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Folder to write (an existing one only if Herd wrote it).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--sft", defaultValue = "2000", description = "Seed SFT conversations. Default: ${DEFAULT-VALUE}")
    int sft;

    @Option(names = "--prompts", defaultValue = "500", description = "Sampling prompts. Default: ${DEFAULT-VALUE}")
    int prompts;

    @Option(names = "--preferences", defaultValue = "1000", description = "Annotator rankings. Default: ${DEFAULT-VALUE}")
    int preferences;

    @Option(names = "--eval", defaultValue = "200", description = "Held-out eval items. Default: ${DEFAULT-VALUE}")
    int eval;

    @Override
    public Integer call() {
        SynthData.write(out, seed, new SynthData.Counts(sft, prompts, preferences, eval));
        System.out.printf("wrote %s: %s%n", out, String.join(", ", SynthData.files()));
        return 0;
    }
}
