package dev.herd.sampling.engine;

import dev.herd.llama.generate.SamplingParams;
import java.util.List;
import java.util.Set;

/**
 * {@code n} samples of one prompt. Sample {@code i} draws from its own stream seeded by
 * {@code params.seed()} and {@code i}, so the same request gives the same samples whatever runs beside it.
 *
 * @param stopIds     tokens that end a sample (eos, eot); they are not part of the text
 * @param stopStrings strings that end a sample; the text is cut before the first one
 * @param logprobs    report each drawn token's log-prob with this many alternatives (0: the token's only);
 *                    −1: none
 */
public record SampleRequest(int[] prompt, int n, SamplingParams params, Set<Integer> stopIds, List<String> stopStrings,
                            int logprobs) {

    public SampleRequest(int[] prompt, int n, SamplingParams params, Set<Integer> stopIds, List<String> stopStrings) {
        this(prompt, n, params, stopIds, stopStrings, -1);
    }

    public SampleRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        stopIds = Set.copyOf(stopIds);
        stopStrings = List.copyOf(stopStrings);
    }

    /** The seed of sample {@code index}: distinct per sample, fixed by the request's seed. */
    public long sampleSeed(int index) {
        return sampleSeed(params.seed(), index);
    }

    /** The seed of sample {@code index} of a request seeded {@code requestSeed} (also for remote sources). */
    public static long sampleSeed(long requestSeed, int index) {
        return requestSeed * 0x9E3779B97F4A7C15L + index;
    }
}
