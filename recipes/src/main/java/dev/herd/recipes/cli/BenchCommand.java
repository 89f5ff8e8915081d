package dev.herd.recipes.cli;

import dev.herd.datasets.cli.BenchDataCommand;
import dev.herd.llama.cli.BenchDecoderCommand;
import dev.herd.sampling.cli.BenchSamplingCommand;
import dev.herd.sampling.cli.BenchServeCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code herd bench …}: speed and memory benchmarks (kept out of the test suite, which must not time things). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchDecoderCommand.class, BenchDataCommand.class, BenchSamplingCommand.class, BenchServeCommand.class})
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
