package dev.herd.llama.cli;

import dev.herd.llama.ModelAverage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "average", mixinStandardHelpOptions = true,
        description = "Weighted mean of the tensors of several checkpoints of one architecture (Llama 3's model "
                + "averaging across runs); refuses models whose configs or tensor sets differ. LoRA adapter folders of one "
                + "shape (same base, r and targets) average factor by factor.")
public final class AverageCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Folder to write (with the first input's config and tokenizer).")
    Path out;

    @Option(names = "--weights", split = ",", description = "One positive weight per input, normalised to sum 1 (default: equal).")
    double[] weights;

    @Parameters(arity = "2..*", paramLabel = "IN", description = "Model folders (or LoRA adapter folders) to average.")
    List<Path> inputs;

    @Override
    public Integer call() {
        double[] w = weights;
        if (w == null) {
            w = new double[inputs.size()];
            java.util.Arrays.fill(w, 1.0);
        }
        ModelAverage.average(inputs, w, out);
        System.out.printf("wrote %s: mean of %d models%n", out, inputs.size());
        return 0;
    }
}
