package dev.herd.llama.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.herd.llama.Devices;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.llama.train.LoraTraining;
import dev.herd.llama.train.MemoryPlan;
import dev.herd.llama.train.StepLoss;
import dev.herd.llama.train.TrainingConfig;
import dev.herd.llama.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Decoder throughput: forward and training-step tokens/s, the FLOP rate they reach, and its ratio to this
 * machine's fp32 matmul peak measured in the same run. With {@code --memory-steps}, a long training loop
 * whose resident memory is sampled, to show that it stays flat.
 */
@Command(name = "decoder", mixinStandardHelpOptions = true,
        description = "Forward / training tokens/s, GFLOP/s and the ratio to the fp32 matmul peak; optionally RSS over a long loop.")
public final class BenchDecoderCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (only config.json is needed: missing weights are random).")
    Path model;

    @Option(names = "--batch", defaultValue = "8", description = "Rows per step. Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per row. Default: ${DEFAULT-VALUE}")
    int seqLen;

    @Option(names = "--steps", defaultValue = "5", description = "Timed steps of each kind. Default: ${DEFAULT-VALUE}")
    int steps;

    @Option(names = "--memory-steps", defaultValue = "0", description = "Also run this many training steps and report RSS (e.g. 1000).")
    int memorySteps;

    @Option(names = "--profile", description = "Write a PyTorch profiler trace (Chrome JSON) of the timed training steps here.")
    Path profile;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto. Default: ${DEFAULT-VALUE}")
    String device;

    @Option(names = "--in-turn", description = "Folder holding two named pipes, turn-out and turn-in: after each "
            + "training step the bench writes a byte to turn-out and waits for one on turn-in, so another process (the "
            + "PyTorch reference, see scripts/bench-reference/train_in_turn.sh) takes its step in between, under the "
            + "same load; every step's seconds are printed. A 0 byte at the end says it is over.")
    Path inTurn;

    @Option(names = "--lora-r", defaultValue = "0", description = "Train LoRA adapters of this rank on the frozen model "
            + "(0: every weight). Default: ${DEFAULT-VALUE}")
    int loraR;

    @Option(names = "--lora-alpha", defaultValue = "16", description = "LoRA scale numerator. Default: ${DEFAULT-VALUE}")
    double loraAlpha;

    @Option(names = "--lora-targets", defaultValue = "q,k,v,o,gate,up,down", description = "Adapted projections. Default: ${DEFAULT-VALUE}")
    String loraTargets;

    private Map<String, NDArray> trained;      // what the timed training steps update: every weight, or the adapters

    @Override
    public Integer call() {
        if (inTurn != null) {
            TurnTaking.requirePipes(inTurn);
        }
        LlamaConfig config = LlamaConfig.load(model);
        try (LlamaModel m = CheckpointFiles.present(model) ? ModelFolder.load(model, Devices.parse(device))
                : LlamaModel.random(config, 0, 0.02, Devices.parse(device))) {
            double peak = matmulPeak(m);
            long tokens = (long) batch * seqLen;
            double matmulParams = matmulParameters(config);
            double attn = 4.0 * config.numHiddenLayers() * seqLen * config.numAttentionHeads() * config.headDim();
            double fwdFlopsPerToken = 2 * matmulParams + attn;
            double trainFlopsPerToken = 3 * fwdFlopsPerToken;

            System.out.printf("config: %,d parameters (%,.0f in matmuls), hidden %d, %d layers, %d/%d heads, ffn %d, vocab %d%n",
                    config.parameterCount(), matmulParams, config.hiddenSize(), config.numHiddenLayers(),
                    config.numAttentionHeads(), config.numKeyValueHeads(), config.intermediateSize(), config.vocabSize());
            System.out.printf("batch %d x %d tokens, device %s, threads %s%n", batch, seqLen, m.device(),
                    System.getProperty("ai.djl.pytorch.num_threads", "default"));
            System.out.printf("fp32 matmul peak (2048^3, same run): %.1f GFLOP/s%n", peak);
            trained = m.parameters();
            long trainable = config.parameterCount();
            if (loraR > 0) {
                LoraConfig lora = TrainingConfig.checked("--lora-*", () -> new LoraConfig(loraR, loraAlpha, 0,
                        LoraConfig.targets(loraTargets)));
                LoraAdapters adapters = LoraTraining.attach(m, lora, 0);
                trained = adapters.parameters();
                trainable = adapters.parameterCount();
                System.out.printf("LoRA r %d, alpha %s on %s: %,d trainable parameters (%.2f%% of the model)%n", loraR, loraAlpha,
                        loraTargets, trainable, 100.0 * trainable / config.parameterCount());
            }
            System.out.println("memory plan (budget " + String.format("%.1f GB", MemoryPlan.budget() / 1e9) + "): "
                    + (loraR > 0 ? "this LoRA run " + plan(config, trainable) + "; a full fine-tune " : "")
                    + plan(config, config.parameterCount()));

            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
            }
            double fwd = timeForward(m);
            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.resolveSibling("forward-" + profile.getFileName()).toString());
            }
            double fwdTps = tokens / fwd;
            System.out.printf("forward:  %8.1f tokens/s  %6.1f GFLOP/s  %5.1f%% of peak  (%.3f s/step)%n",
                    fwdTps, fwdTps * fwdFlopsPerToken / 1e9, 100 * fwdTps * fwdFlopsPerToken / 1e9 / peak, fwd);

            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
            }
            double train = timeTraining(m, steps, false);
            if (profile != null) {
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toString());
            }
            double trainTps = tokens / train;
            System.out.printf("training: %8.1f tokens/s  %6.1f GFLOP/s  %5.1f%% of peak  (%.3f s/step, fwd+bwd+AdamW)%n",
                    trainTps, trainTps * trainFlopsPerToken / 1e9, 100 * trainTps * trainFlopsPerToken / 1e9 / peak, train);
            if (memorySteps > 0) {
                timeTraining(m, memorySteps, true);
            }
        }
        return 0;
    }

    /** What {@link MemoryPlan} says of training {@code trainable} parameters of {@code c} at this batch and length. */
    private String plan(LlamaConfig c, long trainable) {
        try {
            MemoryPlan p = MemoryPlan.of(c, seqLen, batch, 1, MemoryPlan.budget(), trainable);
            return String.format("needs %.1f GB fixed + %.1f GB per row: fits, %d rows per forward", p.fixedBytes() / 1e9,
                    p.bytesPerRow() / 1e9, p.examplesPerForward());
        } catch (dev.herd.common.HerdInputException e) {
            return "is refused: " + e.getMessage();
        }
    }

    /** Parameters that take part in matrix products per token: all but the embedding lookup and the norms. */
    static double matmulParameters(LlamaConfig c) {
        double d = c.hiddenSize();
        double q = (double) c.numAttentionHeads() * c.headDim();
        double kv = (double) c.numKeyValueHeads() * c.headDim();
        double perLayer = d * q * 2 + d * kv * 2 + 3 * d * c.intermediateSize();
        return perLayer * c.numHiddenLayers() + d * c.vocabSize();
    }

    private double matmulPeak(LlamaModel m) {
        int n = 2048;
        try (NDManager mm = m.newStepManager()) {
            NDArray a = mm.randomNormal(new Shape(n, n));
            NDArray b = mm.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0); // force completion on asynchronous devices
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    private int[][] randomRows(Random r, int vocab) {
        int[][] rows = new int[batch][seqLen];
        for (int[] row : rows) {
            for (int j = 0; j < seqLen; j++) {
                row[j] = r.nextInt(vocab);
            }
        }
        return rows;
    }

    private double timeForward(LlamaModel m) {
        Random r = new Random(1);
        double best = Double.MAX_VALUE;
        try (NDManager mm = m.newStepManager()) {
            for (int i = 0; i < steps + 1; i++) {
                try (NDScope ignored = new NDScope()) {
                    TokenBatch b = TokenBatch.causal(mm, randomRows(r, m.config().vocabSize()));
                    long t0 = System.nanoTime();
                    NDArray logits = m.forward(b, KvCache.NONE);
                    logits.getFloat(0, 0, 0);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (i > 0) {
                        best = Math.min(best, s);
                    }
                }
            }
        }
        return best;
    }

    /** Median seconds per training step (next-token loss, backward, AdamW) over {@code n} steps after one warm-up. */
    private double timeTraining(LlamaModel m, int n, boolean reportMemory) {
        Random r = new Random(2);
        List<int[][]> data = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            data.add(randomRows(r, m.config().vocabSize()));
        }
        TrainingConfig c = new TrainingConfig(1e-4, 1, n + 1, 1, 1, 0, 0.0, seqLen, 0, "constant", 0, 1.0, 0.9,
                0.999, 1e-8, 0, 1);
        List<Double> seconds = new ArrayList<>();
        trained.values().forEach(p -> p.setRequiresGradient(true));
        long[] startRss = {0};
        boolean takingTurns = inTurn != null && !reportMemory;
        // As a resource, the closing byte to the other process never hides the exception of a failed turn.
        try (TurnTaking turns = takingTurns ? TurnTaking.open(inTurn) : null; NDManager mm = m.newStepManager()) {
            new TrainingLoop<>(c, mm, trained, data, (examples, step) -> {
                int[][] rows = examples.get(0);
                TokenBatch b = TokenBatch.causal(step, rows);
                long[] targets = new long[batch * seqLen];
                for (int i = 0; i < batch; i++) {
                    for (int j = 0; j < seqLen; j++) {
                        targets[i * seqLen + j] = rows[i][(j + 1) % seqLen];
                    }
                }
                NDArray lp = m.tokenLogProbs(m.hiddenStates(b, KvCache.NONE), step.create(targets).reshape(batch, seqLen));
                return new StepLoss(lp.sum().neg(), (double) batch * seqLen, (long) batch * seqLen);
            }).onMetrics((step, metrics) -> {
                if (step > 1) {
                    seconds.add(metrics.get("tokens") / metrics.get("tokens_per_s"));
                }
                if (turns != null) {
                    turns.pass();                    // the other process's step, outside this step's time
                }
                if (reportMemory) {
                    if (step == 10) {
                        startRss[0] = rssKb();
                    }
                    if (step % 100 == 0 || step == 10) {
                        System.out.printf("memory: step %5d  RSS %,d MiB  (after warm-up at step 10: %,d MiB)%n",
                                step, rssKb() / 1024, startRss[0] / 1024);
                    }
                }
            }).run();
        } finally {
            trained.values().forEach(p -> p.setRequiresGradient(false));
        }
        if (takingTurns) {
            StringBuilder line = new StringBuilder("training steps (s, in turn, after the warm-up):");
            seconds.forEach(x -> line.append(String.format(" %.4f", x)));
            System.out.println(line);
        }
        if (reportMemory && startRss[0] > 0) {
            long end = rssKb();
            System.out.printf("memory: %d training steps, RSS %,d -> %,d MiB after warm-up (%+.1f%%)%n", n,
                    startRss[0] / 1024, end / 1024, 100.0 * (end - startRss[0]) / startRss[0]);
        }
        double[] s = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    /** Resident set size of this process, from /proc (Linux). */
    public static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
