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
import dev.herd.sampling.RemoteSources;
import dev.herd.sampling.Scorers;
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
        HerdCommandLine.create(this).usage(System.out);
    }

    public HerdCli() {
        registerScorers();
    }

    /**
     * What {@code herd sample} takes from other stages: scorer kinds for {@code --reward} and the OpenAI-compatible
     * client for remote models. Only the herd command sees every stage.
     */
    public static void registerScorers() {
        Scorers.register("verify:code", arg -> new CodeTestScorer());
        Scorers.register("rm:", RewardModelScorer::new);
        RemoteSources.install(OpenAiSource::new);
    }

    public static void main(String[] args) {
        System.exit(HerdCommandLine.run(new HerdCli(), args));
    }
}
