package dev.herd.recipes;

import dev.herd.datasets.cli.DataCommand;
import dev.herd.evals.cli.EvalCommand;
import dev.herd.sft.SftCommand;
import dev.herd.dpo.DpoCommand;
import dev.herd.recipes.run.DemoCommand;
import dev.herd.recipes.run.ReportCommand;
import dev.herd.recipes.run.RunCommand;
import dev.herd.recipes.synth.SynthCommand;
import dev.herd.rm.RmCommand;
import dev.herd.sampling.SampleCommand;
import dev.herd.sampling.server.ServeCommand;
import dev.herd.sampling.scoring.Scorers;
import java.nio.file.Path;
import picocli.CommandLine;
import dev.herd.llama.cli.AverageCommand;
import dev.herd.llama.cli.GenerateCommand;
import dev.herd.common.cli.HerdCommandLine;
import dev.herd.llama.cli.InitModelCommand;
import dev.herd.llama.cli.LogitsCommand;
import dev.herd.llama.cli.TokenizeCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code herd} command: every module's commands under one roof. */
@Command(
        name = "herd",
        mixinStandardHelpOptions = true,
        version = "herd 0.1.0",
        description = "Post-training alignment for Llama 3.1 models on the JVM.",
        subcommands = {
            InitModelCommand.class,
            LogitsCommand.class,
            TokenizeCommand.class,
            GenerateCommand.class,
            DataCommand.class,
            SftCommand.class,
            DpoCommand.class,
            RmCommand.class,
            SampleCommand.class,
            ServeCommand.class,
            EvalCommand.class,
            AverageCommand.class,
            SynthCommand.class,
            RunCommand.class,
            DemoCommand.class,
            ReportCommand.class,
            BenchCommand.class
        })
public final class HerdCli implements Runnable {

    @Option(names = "--debug", description = "Print stack traces on errors.", scope = picocli.CommandLine.ScopeType.INHERIT)
    boolean debug;

    @Override
    public void run() {
        commandLine().usage(System.out);
    }

    /**
     * The scorer kinds a reward spec may name here: the verifiers, and what only the herd command sees, since it
     * sees every stage: {@code verify:code} (the evals sandbox) and {@code rm:DIR} (the reward model, on the
     * device the sampling runs on).
     */
    public static Scorers scorers() {
        return Scorers.verifiers()
                .with("verify:code", (arg, device) -> new CodeTestScorer())
                .with("rm:", (arg, device) -> new RewardModelScorer(Path.of(arg), device));
    }

    /** Builds {@code herd sample} with {@link #scorers()}; every other command as picocli would. */
    private static final CommandLine.IFactory FACTORY = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            return cls == SampleCommand.class ? cls.cast(new SampleCommand(scorers())) : CommandLine.defaultFactory().create(cls);
        }
    };

    /** The {@code herd} command line, with Herd's error handling. */
    public static CommandLine commandLine() {
        return HerdCommandLine.create(new HerdCli(), FACTORY);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
