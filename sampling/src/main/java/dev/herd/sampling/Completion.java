package dev.herd.sampling;

/**
 * One finished sample.
 *
 * @param tokens       generated ids, a final stop token included
 * @param text         the decoded response, without the stop token and cut before a stop string
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max new tokens), as OpenAI's API
 */
public record Completion(int[] tokens, String text, String finishReason) {}
