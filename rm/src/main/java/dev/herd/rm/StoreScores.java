package dev.herd.rm;

/**
 * What {@link RmStage#scoreStore} did.
 *
 * @param scorer        the scorer name the scores were stored under, {@code rm:ABSOLUTE_PATH}
 * @param scored        samples scored now
 * @param alreadyScored samples this reward model had scored before (left as they were)
 */
public record StoreScores(String scorer, int scored, int alreadyScored) {}
