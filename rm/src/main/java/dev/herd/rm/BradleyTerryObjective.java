package dev.herd.rm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.herd.llama.train.Objective;
import dev.herd.llama.train.Softplus;
import dev.herd.llama.train.StepLoss;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama 3's reward-model loss: −log σ(r_better − r_worse − margin) over every ordered pair of each ranking
 * (edited &gt; chosen &gt; rejected gives 3 pairs), summed over pairs; the training loop averages over all pairs
 * of an optimizer step.
 */
public final class BradleyTerryObjective implements Objective<EncodedRanking> {

    private final RewardModel model;

    public BradleyTerryObjective(RewardModel model) {
        this.model = model;
    }

    /** One pair's loss in double precision: the formula, for reports and as a test reference. */
    public static double pairLoss(double better, double worse, double margin) {
        return Softplus.of(-(better - worse - margin));
    }

    @Override
    public StepLoss loss(List<EncodedRanking> rankings, NDManager m) {
        NDArray r = model.rewards(rankings, m);                       // [Σ responses]
        int total = (int) r.getShape().get(0);
        int pairs = rankings.stream().mapToInt(e -> e.pairs().length).sum();
        // Differences as one matmul with a ±1 selection matrix [pairs, responses]: no per-pair slicing.
        float[] select = new float[pairs * total];
        float[] margins = new float[pairs];
        int base = 0;
        int n = 0;
        long tokens = 0;
        for (EncodedRanking e : rankings) {
            int[][] ps = e.pairs();
            for (int i = 0; i < ps.length; i++) {
                select[n * total + base + ps[i][0]] = 1f;
                select[n * total + base + ps[i][1]] = -1f;
                margins[n] = (float) e.margins()[i];
                n++;
            }
            base += e.responses().size();
            tokens += e.length();
        }
        NDArray diff = m.create(select, new Shape(pairs, total)).matMul(r.reshape(total, 1)).reshape(pairs)
                .sub(m.create(margins));
        NDArray loss = Softplus.of(diff.neg());                       // [pairs] −log σ(diff)
        float[] d = diff.toFloatArray();
        double correct = 0;
        double marginSum = 0;
        for (int i = 0; i < pairs; i++) {
            float raw = d[i] + margins[i];
            correct += raw > 0 ? 1 : 0;
            marginSum += raw;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("pairwise_accuracy", correct);
        metrics.put("margin", marginSum);
        return new StepLoss(loss.sum(), pairs, tokens, metrics);
    }

    /** Mean loss, pairwise accuracy and reward margin over {@code rankings}, without gradients; {@code units} = pairs. */
    public Map<String, Double> evaluate(List<EncodedRanking> rankings, int batchSize) {
        return evaluate(rankings, batchSize, model::newStepManager);
    }

}
