package dev.herd.sampling.engine;

import java.util.List;

/**
 * One finished sample.
 *
 * @param tokens       generated ids, a final stop token included
 * @param text         the decoded response, without the stop token and cut before a stop string
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max new tokens), as OpenAI's API;
 *                     null where the source does not say (a remote server through a text-only client)
 * @param logprobs     per generated token, when the request asked for them; else null
 */
public record Completion(int[] tokens, String text, String finishReason, List<TokenLogprob> logprobs) {

    public Completion(int[] tokens, String text, String finishReason) {
        this(tokens, text, finishReason, null);
    }

    public Completion withLogprobs(List<TokenLogprob> lps) {
        return new Completion(tokens, text, finishReason, lps);
    }
}
