package dev.herd.sampling.server;

import ai.djl.ndarray.NDManager;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import dev.herd.sampling.engine.TokenLogprob;

/**
 * The log-probs of a prompt's own tokens, as {@code echo} with {@code logprobs} reports them (what log-likelihood
 * evaluations ask a server for): one dense forward over the prompt; token {@code i} is scored by the logits at
 * {@code i - 1}, so the first has none.
 */
final class PromptLogprobs {

    private PromptLogprobs() {}

    /** One entry per token; entry 0 is null. {@code top} alternatives each, best first. */
    static TokenLogprob[] of(LlamaModel model, int[] ids, int top) {
        TokenLogprob[] out = new TokenLogprob[ids.length];
        if (ids.length < 2) {
            return out;
        }
        int vocab = model.config().vocabSize();
        float[] logits;
        try (NDManager step = model.newStepManager()) {
            long[] tokens = new long[ids.length];
            long[] positions = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                tokens[i] = ids[i];
                positions[i] = i;
            }
            logits = model.forward(TokenBatch.of(step, 1, ids.length, tokens, positions, new int[ids.length])).toFloatArray();  // [1, T, vocab]
        }
        for (int i = 1; i < ids.length; i++) {
            out[i] = TokenLogprob.of(logits, (i - 1) * vocab, vocab, ids[i], Math.max(0, top));
        }
        return out;
    }
}
