package dev.herd.datasets;

/** A sample with one scorer's value for it. */
public record ScoredSample(SampleRow sample, double score) {}
