package dev.herd.sft;

import dev.herd.datasets.SftExample;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.train.HeldOut;
import dev.herd.llama.train.DirectoryCheckpointing;
import dev.herd.llama.train.RunFolder;
import dev.herd.llama.train.RunRecord;
import dev.herd.llama.train.TrainingConfig;
import dev.herd.llama.train.TrainingLoop;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: conversations rendered with the base checkpoint's chat template, loss on assistant
 * tokens only, packed rows, a seeded held-out split with eval loss, checkpoints that a re-run of the same
 * command resumes from ({@code <out>.ckpt/}), and an HF model folder at {@code out}.
 */
public final class SftTrainer {

    /** SFT settings beyond the shared trainer flags. */
    public record Options(boolean pack, SftEncoder.Overlong overlong, double evalFraction, int evalEvery, String device) {}

    private SftTrainer() {}

    /** Trains and writes the model; returns the final metrics. */
    public static Map<String, Double> train(Path base, List<SftExample> data, Path out, TrainingConfig config, Options opt) {
        ModelFolder.checkReplaceable(out);
        if (data.isEmpty()) {
            throw new HerdInputException("no SFT examples to train on");
        }
        if (!LlamaTokenizer.present(base)) {
            throw new HerdInputException(base + ": no tokenizer.json (SFT renders conversations with the base's chat template)");
        }
        List<PackedRow> rows;
        List<PackedRow> evalPacked;
        try (LlamaTokenizer tok = LlamaTokenizer.load(base)) {
            SftEncoder encoder = new SftEncoder(ChatEncoder.of(tok), config.maxSeqLen(), opt.overlong());
            HeldOut.Split<SftExample> split = HeldOut.split(data, e -> HeldOut.marked(e.split()), opt.evalFraction(), config.seed());
            List<TrainExample> train = encoder.encode(split.train());
            List<TrainExample> eval = encoder.encode(split.eval());
            rows = opt.pack() ? PackedRow.pack(train, config.maxSeqLen()) : PackedRow.unpacked(train);
            evalPacked = opt.pack() ? PackedRow.pack(eval, config.maxSeqLen()) : PackedRow.unpacked(eval);
            long targetTokens = train.stream().mapToLong(TrainExample::targetTokens).sum();
            System.err.printf("sft: %d train / %d held-out conversations, %d rows of <= %d tokens, %d target tokens; "
                            + "%d truncated, %d dropped (over max-seq-len or nothing to learn)%n", train.size(), eval.size(),
                    rows.size(), config.maxSeqLen(), targetTokens, encoder.truncated(), encoder.dropped());
        }
        // Before the model loads: a run folder of another run is refused at once, not after training.
        RunFolder run = RunFolder.start(out, RunRecord.of("sft", config).model("base", base)
                .setting("pack", opt.pack()).setting("overlong", opt.overlong()).setting("eval-fraction", opt.evalFraction())
                .data(rows, (row, d) -> row.examples().forEach(e -> d.ints(e.input()).ints(e.target()).bools(e.loss()))));
        try (LlamaModel model = ModelFolder.load(base, Devices.parse(opt.device()))) {
            model.requireGradients(true);
            SftObjective objective = new SftObjective(model);
            TrainingLoop<PackedRow> loop = new TrainingLoop<>(config, model.newStepManager(), model.parameters(), rows, objective)
                    .checkpointing(new DirectoryCheckpointing(run.dir(), config, 2))
                    .onMetrics((step, m) -> log(run, step, m));
            if (!evalPacked.isEmpty()) {
                loop.evaluation(step -> Map.of("loss", objective.evalLoss(evalPacked, config.batchSize())), opt.evalEvery());
            }
            Map<String, Double> result = new LinkedHashMap<>(loop.run());
            model.requireGradients(false);
            ModelFolder.save(model, out, base, run::copyMetricsInto);
            return result;
        }
    }

    private static void log(RunFolder run, int step, Map<String, Double> m) {
        run.appendMetrics(step, m);
        System.err.printf("step %d: loss %.4f%s  lr %.2e  grad-norm %.3f  %.0f tokens/s%n", step, m.get("loss"),
                m.containsKey("eval_loss") ? String.format("  eval-loss %.4f", m.get("eval_loss")) : "", m.get("lr"),
                m.get("grad_norm"), m.get("tokens_per_s"));
    }
}
