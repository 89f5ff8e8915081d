package dev.herd.recipes.synth;

/**
 * One generated task with a verifiable answer.
 *
 * @param question  the user's message
 * @param answer    what a verifier compares with (a number for arithmetic, a word for format tasks)
 * @param verifier  {@code numeric} or {@code exact}, as {@code herd eval custom:} and {@code herd sample --reward verify:…} name them
 * @param reference a good assistant response (for seed SFT data and edited rankings)
 * @param family    {@code arithmetic} or {@code format}
 * @param steps     how many operations the problem takes (its difficulty)
 */
record SynthTask(String question, String answer, String verifier, String reference, String family, int steps) {}
