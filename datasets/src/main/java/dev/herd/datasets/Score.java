package dev.herd.datasets;

/** A scorer's value for a sample: a reward model (name/version) or a verifier. */
public record Score(long sampleId, String scorer, double value, Long runId) {}
