package dev.herd.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.train.Objective;
import dev.herd.llama.train.StepLoss;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DPO loss of a micro-batch of pairs, summed over pairs (the training loop averages over all pairs of the
 * optimizer step). Chosen and rejected sequences go through the policy as one right-padded batch, and the LM
 * head runs only at the scored response positions.
 */
final class DpoObjective implements Objective<DpoExample> {

    /** Metrics reported per step and on held-out pairs, as means over pairs. */
    public static final List<String> METRICS = List.of("reward_accuracy", "chosen_reward", "rejected_reward", "margin",
            "chosen_logp", "rejected_logp");

    private final LlamaModel model;
    private final DpoLoss loss;

    public DpoObjective(LlamaModel model, DpoLoss loss) {
        this.model = model;
        this.loss = loss;
    }

    /** log π(response | prompt) of each sequence, summed over its scored tokens: [n]. */
    public static NDArray sequenceLogProbs(LlamaModel model, List<ScoredSequence> seqs, NDManager m) {
        return sequenceLogProbs(model, seqs, m, KvCache.NONE);
    }

    /** As {@link #sequenceLogProbs(LlamaModel, List, NDManager)}, attending through {@code attention}. */
    static NDArray sequenceLogProbs(LlamaModel model, List<ScoredSequence> seqs, NDManager m, KvCache attention) {
        List<int[]> inputs = new ArrayList<>();
        int width = 0;
        int scored = 0;
        for (ScoredSequence s : seqs) {
            inputs.add(s.input());
            width = Math.max(width, s.length());
            scored += s.scoredTokens();
        }
        long[] positions = new long[scored];
        long[] targets = new long[scored];
        float[] segments = new float[seqs.size() * scored];    // [n, scored]: which scored token belongs to which sequence
        int k = 0;
        for (int i = 0; i < seqs.size(); i++) {
            ScoredSequence s = seqs.get(i);
            for (int j = 0; j < s.scoredTokens(); j++) {
                positions[k] = (long) i * width + s.positions()[j];
                targets[k] = s.targets()[j];
                segments[i * scored + k] = 1f;
                k++;
            }
        }
        TokenBatch batch = TokenBatch.padded(m, inputs, false, 0);
        NDArray tokenLogp = model.tokenLogProbsAt(model.hiddenStates(batch, attention), positions, targets);    // [scored]
        NDArray seg = m.create(segments, new Shape(seqs.size(), scored));
        return seg.matMul(tokenLogp.reshape(scored, 1)).reshape(seqs.size());
    }

    @Override
    public StepLoss loss(List<DpoExample> pairs, NDManager m) {
        int n = pairs.size();
        List<ScoredSequence> seqs = new ArrayList<>();
        pairs.forEach(p -> seqs.add(p.chosen()));
        pairs.forEach(p -> seqs.add(p.rejected()));
        float[] refC = new float[n];
        float[] refR = new float[n];
        float[] count = new float[n];
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            DpoExample p = pairs.get(i);
            refC[i] = (float) p.refChosen();
            refR[i] = (float) p.refRejected();
            count[i] = p.chosen().scoredTokens();
            tokens += p.chosen().length() + p.rejected().length();
        }
        NDArray logp = sequenceLogProbs(model, seqs, m);
        NDArray pc = logp.get("0:{}", n);
        NDArray pr = logp.get("{}:{}", n, 2 * n);
        NDArray losses = loss.losses(pc, m.create(refC), pr, m.create(refR), m.create(count));
        float[] c = pc.toFloatArray();
        float[] r = pr.toFloatArray();
        Map<String, Double> sums = new LinkedHashMap<>();
        for (String key : METRICS) {
            sums.put(key, 0.0);
        }
        for (int i = 0; i < n; i++) {
            double cr = loss.beta() * (c[i] - refC[i]);
            double rr = loss.beta() * (r[i] - refR[i]);
            sums.merge("reward_accuracy", cr > rr ? 1.0 : 0.0, Double::sum);
            sums.merge("chosen_reward", cr, Double::sum);
            sums.merge("rejected_reward", rr, Double::sum);
            sums.merge("margin", cr - rr, Double::sum);
            sums.merge("chosen_logp", (double) c[i], Double::sum);
            sums.merge("rejected_logp", (double) r[i], Double::sum);
        }
        return new StepLoss(losses.sum(), n, tokens, sums);
    }

    /** Mean loss and metrics over {@code pairs}, without gradients (held-out evaluation). */
    public Map<String, Double> evaluate(List<DpoExample> pairs, int batchSize) {
        return evaluate(pairs, batchSize, model::newStepManager);
    }

}
