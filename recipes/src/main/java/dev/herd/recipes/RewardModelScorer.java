package dev.herd.recipes;

import dev.herd.rm.RewardScoring;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Scorer;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code rm:DIR} for {@code herd sample --reward}: the reward model's score of each (prompt, response), the
 * K samples of a prompt scored in one packed row.
 */
final class RewardModelScorer implements Scorer {

    private final RewardScoring scoring;
    private final String name;

    RewardModelScorer(Path p, String device) {
        this.scoring = new RewardScoring(p, device, 8);
        this.name = "rm:" + p.toAbsolutePath().normalize();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(List<SamplingPrompt> prompts, List<String> responses) {
        return scoring.score(prompts.stream().map(SamplingPrompt::asMessages).toList(), responses);
    }

    @Override
    public void close() {
        scoring.close();
    }
}
