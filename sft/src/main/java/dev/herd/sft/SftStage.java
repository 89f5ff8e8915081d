package dev.herd.sft;

import dev.herd.common.HerdInputException;
import dev.herd.datasets.SftExample;
import dev.herd.llama.Devices;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.train.HeldOut;
import dev.herd.llama.train.RunRecord;
import dev.herd.llama.train.Trainee;
import dev.herd.llama.train.TrainerRun;
import dev.herd.llama.train.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: conversations rendered with the base checkpoint's chat template, loss on assistant
 * tokens only, packed rows, a seeded held-out split with eval loss, checkpoints that a re-run with the same
 * inputs resumes from ({@code <out>.ckpt/}), and an HF model folder at {@code out} (with LoRA: a PEFT adapter folder
 * for {@code base}; checkpoints then hold only the adapters and their optimizer state).
 */
public final class SftStage {

    private SftStage() {}

    /** Trains {@code base} on {@code examples} and writes the model to {@code out}. */
    public static SftResult run(Path base, List<SftExample> examples, Path out, SftConfig config) {
        TrainingConfig c = config.training();
        TrainerRun run = new TrainerRun(out, c);
        if (examples.isEmpty()) {
            throw new HerdInputException("no SFT examples to train on");
        }
        if (!LlamaTokenizer.present(base)) {
            throw new HerdInputException(base + ": no tokenizer.json (SFT renders conversations with the base's chat template)");
        }
        List<PackedRow> rows;
        List<PackedRow> heldOut;
        try (LlamaTokenizer tok = LlamaTokenizer.load(base)) {
            SftEncoder encoder = new SftEncoder(ChatEncoder.of(tok), c.maxSeqLen(), config.overlong());
            HeldOut.Split<SftExample> split = HeldOut.split(examples, e -> HeldOut.marked(e.split()), config.evalFraction(), c.seed());
            List<TrainExample> train = encoder.encode(split.train());
            List<TrainExample> eval = encoder.encode(split.eval());
            rows = config.pack() ? PackedRow.pack(train, c.maxSeqLen()) : PackedRow.unpacked(train);
            heldOut = config.pack() ? PackedRow.pack(eval, c.maxSeqLen()) : PackedRow.unpacked(eval);
            long targetTokens = train.stream().mapToLong(TrainExample::targetTokens).sum();
            System.err.printf("sft: %d train / %d held-out conversations, %d rows of <= %d tokens, %d target tokens; "
                            + "%d truncated, %d dropped (over max-seq-len or nothing to learn)%n", train.size(), eval.size(),
                    rows.size(), c.maxSeqLen(), targetTokens, encoder.truncated(), encoder.dropped());
        }
        run.start(RunRecord.of("sft", c).model("base", base)
                .setting("pack", config.pack()).setting("overlong", config.overlong()).setting("eval-fraction", config.evalFraction())
                .lora(config.lora())
                .data(rows, (row, d) -> row.examples().forEach(e -> d.ints(e.input()).ints(e.target()).bools(e.loss()))));
        try (LlamaModel model = ModelFolder.load(base, Devices.parse(config.device()))) {
            SftObjective objective = new SftObjective(model);
            TrainerRun.Finished f = run.train(Trainee.decoder(model, base, config.lora(), c.seed()), rows, objective,
                    heldOut.isEmpty() ? null : () -> Map.of("loss", objective.evalLoss(heldOut, run.forwardBatch())),
                    config.evalEvery(), SftStage::line);
            return new SftResult(f.model(), f.metrics(), f.finishedBefore());
        }
    }

    private static String line(int step, Map<String, Double> m) {
        return String.format("step %d: loss %.4f%s  lr %.2e  grad-norm %.3f  %.0f tokens/s", step, m.get("loss"),
                m.containsKey("eval_loss") ? String.format("  eval-loss %.4f", m.get("eval_loss")) : "", m.get("lr"),
                m.get("grad_norm"), m.get("tokens_per_s"));
    }
}
