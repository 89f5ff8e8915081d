package dev.herd.dpo;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO training: pairs rendered with the policy's chat template, reference log-probs computed once (and
 * cached in {@code <out>.ckpt/}), a held-out split scored with the same metrics, checkpoints that a re-run of
 * the same command resumes from, and an HF model folder at {@code out}.
 */
public final class DpoTrainer {

    private DpoTrainer() {}

    /** Splits pairs into train and held-out: rankings marked test/validation, else a seeded share of prompts. */
    public static List<List<PreferencePair>> split(List<PreferencePair> pairs, double evalFraction, long seed) {
        List<PreferencePair> train = new ArrayList<>();
        List<PreferencePair> eval = new ArrayList<>();
        if (pairs.stream().anyMatch(PreferencePair::heldOut)) {
            pairs.forEach(p -> (p.heldOut() ? eval : train).add(p));
            return List.of(train, eval);
        }
        // Whole prompts go to one side, so the pairs of one ranking never straddle the split.
        Map<List<?>, List<PreferencePair>> byPrompt = new LinkedHashMap<>();
        pairs.forEach(p -> byPrompt.computeIfAbsent(p.prompt(), k -> new ArrayList<>()).add(p));
        HeldOut.Split<List<PreferencePair>> split = HeldOut.split(new ArrayList<>(byPrompt.values()), g -> false, evalFraction, seed);
        split.train().forEach(train::addAll);
        split.eval().forEach(eval::addAll);
        return List.of(train, eval);
    }

    /** Trains and writes the model; returns the final metrics. */
    public static Map<String, Double> train(Path policy, Path ref, List<PreferencePair> pairs, Path out,
                                            TrainingConfig config, DpoSettings settings, String device) {
        ModelFolder.checkReplaceable(out);
        if (pairs.isEmpty()) {
            throw new HerdInputException("no preference pairs to train on (after the strength and pair-kind filters)");
        }
        if (!LlamaTokenizer.present(policy)) {
            throw new HerdInputException(policy + ": no tokenizer.json (DPO renders pairs with the policy's chat template)");
        }
        List<List<PreferencePair>> parts = split(pairs, settings.evalFraction(), config.seed());
        List<DpoExample> train;
        List<DpoExample> eval;
        DpoEncoder encoder;
        try (LlamaTokenizer tok = LlamaTokenizer.load(policy)) {
            encoder = new DpoEncoder(ChatEncoder.of(tok), config.maxSeqLen());
            train = encoder.encode(parts.get(0));
            eval = encoder.encode(parts.get(1));
        }
        if (train.isEmpty()) {
            throw new HerdInputException("every training pair is longer than --max-seq-len " + config.maxSeqLen());
        }
        System.err.printf("dpo: %d train / %d held-out pairs; %d dropped (over max-seq-len); beta %s, nll-alpha %s%n",
                train.size(), eval.size(), encoder.dropped(), settings.beta(), settings.nllAlpha());
        // Before the reference log-probs and the policy: a run folder of another run is refused at once.
        RunFolder run = RunFolder.start(out, RunRecord.of("dpo", config).model("policy", policy).model("reference", ref)
                .setting("beta", settings.beta()).setting("nll-alpha", settings.nllAlpha()).setting("pairs", settings.pairs())
                .setting("strengths", settings.strengths()).setting("eval-fraction", settings.evalFraction())
                .data(train, (e, d) -> {
                    for (ScoredSequence s : List.of(e.chosen(), e.rejected())) {
                        d.ints(s.input()).ints(s.positions()).ints(s.targets());
                    }
                }));
        Path cache = run.resolve("reference-logps.json");
        train = ReferenceLogProbs.attach(ref, train, cache, config.batchSize(), Devices.parse(device));
        eval = ReferenceLogProbs.attach(ref, eval, cache, config.batchSize(), Devices.parse(device));
        List<DpoExample> heldOut = eval;
        try (LlamaModel model = ModelFolder.load(policy, Devices.parse(device))) {
            model.requireGradients(true);
            DpoObjective objective = new DpoObjective(model, new DpoLoss(settings.beta(), settings.nllAlpha()));
            TrainingLoop<DpoExample> loop = new TrainingLoop<>(config, model.newStepManager(), model.parameters(), train, objective)
                    .checkpointing(new DirectoryCheckpointing(run.dir(), config, 2))
                    .onMetrics((step, m) -> log(run, step, m));
            if (!heldOut.isEmpty()) {
                loop.evaluation(step -> objective.evaluate(heldOut, config.batchSize()), 0);
            }
            Map<String, Double> result = new LinkedHashMap<>(loop.run());
            model.requireGradients(false);
            ModelFolder.save(model, out, policy, run::copyMetricsInto);
            return result;
        }
    }

    private static void log(RunFolder run, int step, Map<String, Double> m) {
        run.appendMetrics(step, m);
        StringBuilder s = new StringBuilder(String.format("step %d: loss %.4f  acc %.3f  margin %.4f  chosen-logp %.2f  "
                        + "rejected-logp %.2f", step, m.get("loss"), m.get("reward_accuracy"), m.get("margin"),
                m.get("chosen_logp"), m.get("rejected_logp")));
        if (m.containsKey("eval_loss")) {
            s.append(String.format("  | held-out loss %.4f  acc %.3f  margin %.4f", m.get("eval_loss"),
                    m.get("eval_reward_accuracy"), m.get("eval_margin")));
        }
        s.append(String.format("  lr %.2e  grad-norm %.3f  %.0f tokens/s", m.get("lr"), m.get("grad_norm"), m.get("tokens_per_s")));
        System.err.println(s);
    }
}
