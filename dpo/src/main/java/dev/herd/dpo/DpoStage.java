package dev.herd.dpo;

import dev.herd.common.HerdInputException;
import dev.herd.datasets.Preference;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO training: rankings expanded into the configured pairs, rendered with the policy's chat template,
 * reference log-probs computed once (and cached in {@code <out>.ckpt/}), a held-out split scored with the same
 * metrics, checkpoints that a re-run with the same inputs resumes from, and an HF model folder at {@code out} (with
 * LoRA: a PEFT adapter folder for the policy, trained against the policy with its adapters disabled).
 */
public final class DpoStage {

    private DpoStage() {}

    /** Trains {@code policy} against the frozen {@code ref} on the pairs of {@code rankings}; writes {@code out}. */
    public static DpoResult run(Path policy, Path ref, List<Preference> rankings, Path out, DpoConfig config) {
        TrainingConfig c = config.training();
        TrainerRun run = new TrainerRun(out, c).rowsPerExample(2);     // chosen and rejected
        List<PreferencePair> pairs = RankedPairs.expand(rankings, config.pairs(), config.strengths());
        if (pairs.isEmpty()) {
            throw new HerdInputException("no preference pairs to train on (after the strength and pair-kind filters)");
        }
        if (!LlamaTokenizer.present(policy)) {
            throw new HerdInputException(policy + ": no tokenizer.json (DPO renders pairs with the policy's chat template)");
        }
        List<List<PreferencePair>> parts = split(pairs, config.evalFraction(), c.seed());
        List<DpoExample> train;
        List<DpoExample> eval;
        DpoEncoder encoder;
        try (LlamaTokenizer tok = LlamaTokenizer.load(policy)) {
            encoder = new DpoEncoder(ChatEncoder.of(tok), c.maxSeqLen());
            train = encoder.encode(parts.get(0));
            eval = encoder.encode(parts.get(1));
        }
        if (train.isEmpty()) {
            throw new HerdInputException("every training pair is longer than --max-seq-len " + c.maxSeqLen());
        }
        System.err.printf("dpo: %d train / %d held-out pairs; %d dropped (over max-seq-len); beta %s, nll-alpha %s%n",
                train.size(), eval.size(), encoder.dropped(), config.beta(), config.nllAlpha());
        // Before the reference log-probs and the policy: a run folder of another run is refused at once.
        run.start(RunRecord.of("dpo", c).model("policy", policy).model("reference", ref)
                .setting("beta", config.beta()).setting("nll-alpha", config.nllAlpha()).setting("pairs", config.pairs())
                .setting("strengths", config.strengths()).setting("eval-fraction", config.evalFraction()).lora(config.lora())
                .data(train, (e, d) -> {
                    for (ScoredSequence s : List.of(e.chosen(), e.rejected())) {
                        d.ints(s.input()).ints(s.positions()).ints(s.targets());
                    }
                }));
        Path cache = run.file("reference-logps.json");
        if (config.lora().enabled()) {
            return withAdapters(policy, ref, train, eval, cache, run, config);
        }
        train = ReferenceLogProbs.attach(ref, train, cache, c.batchSize(), Devices.parse(config.device()));
        List<DpoExample> heldOut = ReferenceLogProbs.attach(ref, eval, cache, c.batchSize(), Devices.parse(config.device()));
        try (LlamaModel model = ModelFolder.load(policy, Devices.parse(config.device()))) {
            DpoObjective objective = new DpoObjective(model, config.loss());
            TrainerRun.Finished f = run.train(Trainee.decoder(model, policy), train, objective,
                    heldOut.isEmpty() ? null : () -> objective.evaluate(heldOut, run.forwardBatch()), 0, DpoStage::line);
            return new DpoResult(f.model(), f.metrics(), f.finishedBefore());
        }
    }

    /**
     * DPO through LoRA adapters on the frozen policy: one model in memory, the reference being that model with its
     * adapters disabled, which is exactly the policy DPO starts from.
     */
    private static DpoResult withAdapters(Path policy, Path ref, List<DpoExample> train, List<DpoExample> eval, Path cache,
                                          TrainerRun run, DpoConfig config) {
        if (!ModelFolder.fingerprint(ref).equals(ModelFolder.fingerprint(policy))) {
            throw new HerdInputException(ref + ": with LoRA the reference is the policy " + policy + " with its adapters "
                    + "disabled; give the policy as --ref (or leave --ref out)");
        }
        TrainingConfig c = config.training();
        try (LlamaModel model = ModelFolder.load(policy, Devices.parse(config.device()))) {
            Trainee trainee = Trainee.decoder(model, policy, config.lora(), c.seed());
            List<DpoExample> trainRefs = ReferenceLogProbs.attachWithoutAdapters(ref, train, cache, c.batchSize(), model);
            List<DpoExample> heldOut = ReferenceLogProbs.attachWithoutAdapters(ref, eval, cache, c.batchSize(), model);
            DpoObjective objective = new DpoObjective(model, config.loss());
            TrainerRun.Finished f = run.train(trainee, trainRefs, objective,
                    heldOut.isEmpty() ? null : () -> objective.evaluate(heldOut, run.forwardBatch()), 0, DpoStage::line);
            return new DpoResult(f.model(), f.metrics(), f.finishedBefore());
        }
    }

    /** Splits pairs into train and held-out: rankings marked test/validation, else a seeded share of prompts. */
    static List<List<PreferencePair>> split(List<PreferencePair> pairs, double evalFraction, long seed) {
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

    private static String line(int step, Map<String, Double> m) {
        StringBuilder s = new StringBuilder(String.format("step %d: loss %.4f  acc %.3f  margin %.4f  chosen-logp %.2f  "
                        + "rejected-logp %.2f", step, m.get("loss"), m.get("reward_accuracy"), m.get("margin"),
                m.get("chosen_logp"), m.get("rejected_logp")));
        if (m.containsKey("eval_loss")) {
            s.append(String.format("  | held-out loss %.4f  acc %.3f  margin %.4f", m.get("eval_loss"),
                    m.get("eval_reward_accuracy"), m.get("eval_margin")));
        }
        s.append(String.format("  lr %.2e  grad-norm %.3f  %.0f tokens/s", m.get("lr"), m.get("grad_norm"), m.get("tokens_per_s")));
        return s.toString();
    }
}
