package dev.herd.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.train.Objective;
import dev.herd.llama.train.StepLoss;
import java.util.ArrayList;
import java.util.List;

/**
 * Cross-entropy on the masked targets (assistant content and its end-of-turn), summed over the micro-batch's
 * target tokens: the training loop divides by all target tokens of the optimizer step, so accumulated
 * micro-batches give the same update as one large batch.
 */
final class SftObjective implements Objective<PackedRow> {

    private final LlamaModel model;

    public SftObjective(LlamaModel model) {
        this.model = model;
    }

    @Override
    public StepLoss loss(List<PackedRow> rows, NDManager m) {
        int width = rows.stream().mapToInt(PackedRow::length).max().orElse(1);
        int b = rows.size();
        List<List<int[]>> inputs = new ArrayList<>();
        long units = 0;
        long tokens = 0;
        for (PackedRow row : rows) {
            for (TrainExample e : row.examples()) {
                tokens += e.length();
                for (boolean on : e.loss()) {
                    units += on ? 1 : 0;
                }
            }
        }
        // Only target positions go through the LM head: answers are a small part of each row.
        long[] positions = new long[(int) units];
        long[] targets = new long[(int) units];
        int k = 0;
        for (int r = 0; r < b; r++) {
            List<int[]> row = new ArrayList<>();
            int at = 0;
            for (TrainExample e : rows.get(r).examples()) {
                row.add(e.input());
                for (int j = 0; j < e.length(); j++) {
                    if (e.loss()[j]) {
                        positions[k] = (long) r * width + at + j;
                        targets[k++] = e.target()[j];
                    }
                }
                at += e.length();
            }
            inputs.add(row);
        }
        TokenBatch batch = TokenBatch.packed(m, inputs, width, 0);
        NDArray logp = model.tokenLogProbsAt(model.hiddenStates(batch, KvCache.NONE), positions, targets);
        return new StepLoss(logp.sum().neg(), units, tokens);
    }

    /** Mean loss per target token over {@code rows}, without gradients (held-out evaluation). */
    public double evalLoss(List<PackedRow> rows, int batchSize) {
        return evaluate(rows, batchSize, model::newStepManager).getOrDefault("loss", Double.NaN);
    }
}
