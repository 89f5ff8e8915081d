package dev.herd.datasets;

/**
 * One round of the alignment loop: the policy it started from and the candidate that won it.
 *
 * @param policy  the model the round sampled from (round 1: the SFT-on-seed model)
 * @param best    the round's best candidate, the next round's policy; null until the round finishes
 * @param status  running or done
 */
public record RoundRow(int round, String policy, String best, String status, String config, String metrics) {}
