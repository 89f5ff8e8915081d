package dev.herd.sampling.scoring;

import dev.herd.sampling.SamplingPrompt;
import java.util.List;

/**
 * Scores responses to prompts, higher is better: verifiers ({@code verify:exact|numeric|regex|auto}), reward models
 * ({@code rm:DIR}, from the reward-model stage) and weighted mixes of them. Batched, because a reward model
 * scores a batch in one forward.
 */
public interface Scorer extends AutoCloseable {

    /** How the scorer is named in the store's {@code scores.scorer} column. */
    String name();

    /** One score per (prompt, response) pair. */
    double[] score(List<SamplingPrompt> prompts, List<String> responses);

    default double score(SamplingPrompt prompt, String response) {
        return score(List.of(prompt), List.of(response))[0];
    }

    /** Frees what the scorer holds (a reward model's weights). */
    @Override
    default void close() {}
}
