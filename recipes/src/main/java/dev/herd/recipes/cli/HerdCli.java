package dev.herd.recipes.cli;

import dev.herd.recipes.Scoring;
import dev.herd.datasets.cli.DataCommand;
import dev.herd.evals.cli.EvalCommand;
import dev.herd.sft.cli.SftCommand;
import dev.herd.dpo.cli.DpoCommand;
import dev.herd.rm.cli.RmCommand;
import dev.herd.sampling.cli.SampleCommand;
import dev.herd.sampling.cli.ServeCommand;
import picocli.CommandLine;
import dev.herd.llama.cli.AverageCommand;
import dev.herd.llama.cli.MergeCommand;
import dev.herd.llama.cli.ExportCommand;
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
            MergeCommand.class,
            ExportCommand.class,
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

    /** Builds {@code herd sample} with {@link #scorers()}; every other command as picocli would. */
    private static final CommandLine.IFactory FACTORY = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            return cls == SampleCommand.class ? cls.cast(new SampleCommand(Scoring.all())) : CommandLine.defaultFactory().create(cls);
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
