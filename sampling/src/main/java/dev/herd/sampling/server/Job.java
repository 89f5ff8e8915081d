package dev.herd.sampling.server;

import dev.herd.llama.generate.SamplingParams;
import dev.herd.sampling.engine.SampleRequest;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A request the server has accepted, with its defaults filled in: prompts (each gets {@code n} choices) and how
 * to sample them. Choice {@code i} of prompt {@code p} is the answer's choice {@code p * n + i}.
 *
 * @param chat     from {@code /v1/chat/completions} (else {@code /v1/completions}): decides the answer's shape
 * @param stopIds  the tokenizer's end tokens
 * @param logprobs alternatives per token to report, or −1 for none
 * @param echo     the text prompts, to be echoed before each choice with their tokens' log-probs; null otherwise
 */
record Job(boolean chat, List<int[]> prompts, int n, SamplingParams params, Set<Integer> stopIds, List<String> stop,
           int logprobs, boolean stream, List<String> echo) {

    /** What the engine runs for prompt {@code p}. */
    SampleRequest request(int p) {
        return new SampleRequest(prompts.get(p), n, params, stopIds, stop, logprobs);
    }

    /** A fresh answer id, with OpenAI's prefix for the endpoint. */
    String newId() {
        return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }
}
