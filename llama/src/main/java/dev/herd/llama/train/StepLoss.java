package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A micro-batch's loss, summed over its units, so that accumulated micro-batches average over all units of the
 * optimizer step (not per micro-batch) and accumulation gives the same update as one large batch.
 *
 * @param sum     scalar loss summed over units, with a gradient graph
 * @param units   what the loss is averaged over: target tokens for SFT, pairs for RM and DPO
 * @param tokens  tokens processed (for tokens/s)
 * @param metrics further sums over units to report as averages (e.g. "accuracy" → number correct)
 */
public record StepLoss(NDArray sum, double units, long tokens, Map<String, Double> metrics) {

    public StepLoss(NDArray sum, double units, long tokens) {
        this(sum, units, tokens, Map.of());
    }
}
