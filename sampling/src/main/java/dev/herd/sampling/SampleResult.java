package dev.herd.sampling;

import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.rejection.PassRates;

/**
 * What a sampling run did and, for a store run with a round, what its samples measure.
 *
 * @param model       the model as the samples' {@code model} column names it
 * @param scorer      the scores' {@code scorer} name, or null when unscored
 * @param prompts     prompts asked for
 * @param sampledNow  prompts sampled by this call (the rest were done before it: a resumed run)
 * @param stats       the paged engine's counters (null for a served model or when nothing was sampled)
 * @param seconds     wall time of this call's sampling
 * @param measured    the round's samples of this model in the store (null for a file run)
 */
public record SampleResult(String model, String scorer, int prompts, int sampledNow, PagedEngine.Stats stats, double seconds,
                           Measured measured) {

    /**
     * @param samples       samples of this model in this round
     * @param meanScore     mean score over them (null when unscored)
     * @param meanBestScore mean over prompts of the best sample's score (null when unscored)
     * @param scoredPrompts prompts with a scored sample
     * @param passRates     pass@1 / pass@K by each prompt's own verifier (null when no prompt has an answer)
     */
    public record Measured(long samples, Double meanScore, Double meanBestScore, int scoredPrompts, PassRates passRates) {}
}
