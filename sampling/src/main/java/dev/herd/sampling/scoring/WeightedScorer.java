package dev.herd.sampling.scoring;

import dev.herd.sampling.SamplingPrompt;
import java.util.List;

/** A weighted sum of scorers, e.g. {@code rm:DIR=0.7,verify:numeric=0.3}. */
final class WeightedScorer implements Scorer {

    private final List<Scorer> parts;
    private final double[] weights;
    private final String name;

    public WeightedScorer(List<Scorer> parts, double[] weights, String name) {
        this.parts = List.copyOf(parts);
        this.weights = weights.clone();
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(List<SamplingPrompt> prompts, List<String> responses) {
        double[] total = new double[responses.size()];
        for (int j = 0; j < parts.size(); j++) {
            double[] s = parts.get(j).score(prompts, responses);
            for (int i = 0; i < total.length; i++) {
                total[i] += weights[j] * s[i];
            }
        }
        return total;
    }

    @Override
    public void close() {
        parts.forEach(Scorer::close);
    }
}
