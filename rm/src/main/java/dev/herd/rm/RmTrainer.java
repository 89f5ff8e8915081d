package dev.herd.rm;

import dev.herd.datasets.Preference;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
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

/** Reward-model training on rankings with the shared training loop; writes an HF sequence-classification folder. */
public final class RmTrainer {

    /** Settings beyond the shared trainer flags. */
    public record Options(RankingEncoder.Pairs pairs, boolean margins, java.util.Set<dev.herd.datasets.Strength> strengths,
                          double evalFraction, String device) {}

    private RmTrainer() {}

    public static Map<String, Double> train(Path base, List<Preference> data, Path out, TrainingConfig config, Options opt) {
        ModelFolder.checkReplaceable(out);
        if (!LlamaTokenizer.present(base)) {
            throw new HerdInputException(base + ": no tokenizer.json (the reward model renders rankings with its chat template)");
        }
        List<EncodedRanking> all;
        RankingEncoder encoder;
        try (LlamaTokenizer tok = LlamaTokenizer.load(base)) {
            encoder = new RankingEncoder(ChatEncoder.of(tok), config.maxSeqLen(), opt.pairs(), opt.margins(), opt.strengths());
            all = encoder.encode(data);
        }
        HeldOut.Split<EncodedRanking> split = HeldOut.split(all, e -> HeldOut.marked(e.split()), opt.evalFraction(), config.seed());
        List<EncodedRanking> train = split.train();
        List<EncodedRanking> eval = split.eval();
        if (train.isEmpty()) {
            throw new HerdInputException("no rankings to train on (after the strength filter and --max-seq-len)");
        }
        System.err.printf("rm: %d train / %d held-out rankings (%d pairs); %d dropped (over max-seq-len)%n", train.size(),
                eval.size(), train.stream().mapToInt(e -> e.pairs().length).sum(), encoder.dropped());
        // Before the model loads: a run folder of another run is refused at once, not after training.
        RunFolder run = RunFolder.start(out, RunRecord.of("rm", config).model("base", base)
                .setting("pairs", opt.pairs()).setting("margin", opt.margins()).setting("strengths", opt.strengths())
                .setting("eval-fraction", opt.evalFraction())
                .data(train, (r, d) -> {
                    d.ints(r.prompt()).doubles(r.margins()).ints(new int[] {r.responses().size()});
                    r.responses().forEach(d::ints);
                }));
        try (RewardModel rm = RewardModel.initFrom(base, config.seed(), Devices.parse(opt.device()))) {
            rm.requireGradients(true);
            BradleyTerryObjective objective = new BradleyTerryObjective(rm);
            TrainingLoop<EncodedRanking> loop = new TrainingLoop<>(config, rm.newStepManager(), rm.parameters(), train, objective)
                    .checkpointing(new DirectoryCheckpointing(run.dir(), config, 2))
                    .onMetrics((step, m) -> log(run, step, m));
            if (!eval.isEmpty()) {
                loop.evaluation(step -> objective.evaluate(eval, config.batchSize()), 0);
            }
            Map<String, Double> result = new LinkedHashMap<>(loop.run());
            rm.requireGradients(false);
            rm.save(out, base, run::copyMetricsInto);
            return result;
        }
    }

    private static void log(RunFolder run, int step, Map<String, Double> m) {
        run.appendMetrics(step, m);
        System.err.printf("step %d: loss %.4f  pairwise-acc %.3f  margin %.3f%s  lr %.2e  grad-norm %.3f  %.0f tokens/s%n", step,
                m.get("loss"), m.get("pairwise_accuracy"), m.get("margin"),
                m.containsKey("eval_loss") ? String.format("  | held-out loss %.4f  acc %.3f", m.get("eval_loss"),
                        m.get("eval_pairwise_accuracy")) : "", m.get("lr"), m.get("grad_norm"), m.get("tokens_per_s"));
    }
}
