package dev.herd.llama.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.herd.llama.DenseKvCache;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Batched incremental decoding over a dense KV cache: prompts left-padded, one prefill, then one token per
 * row per step until every row stops. The simple engine behind {@code herd generate} and local-model
 * evaluation; the sampling module's paged engine serves large rejection-sampling batches.
 */
public final class Generator {

    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /**
     * Continues each prompt.
     *
     * @param params  one per prompt (each with its own seed)
     * @param stopIds tokens that end a row; the stop token is included in the output
     * @return the generated ids of each row
     */
    public List<int[]> generate(List<int[]> prompts, List<SamplingParams> params, Set<Integer> stopIds) {
        int b = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int maxNew = params.stream().mapToInt(SamplingParams::maxNewTokens).max().orElse(0);
        List<List<Integer>> out = new ArrayList<>();
        TokenSampler[] samplers = new TokenSampler[b];
        boolean[] done = new boolean[b];
        for (int i = 0; i < b; i++) {
            out.add(new ArrayList<>());
            samplers[i] = new TokenSampler(params.get(i));
            done[i] = params.get(i).maxNewTokens() == 0 || prompts.get(i).length == 0;
        }
        try (NDManager m = model.newStepManager();
             DenseKvCache cache = new DenseKvCache(m, model.config(), b, longest + maxNew)) {
            int[] drawn;
            try (NDScope ignored = new NDScope()) {
                NDArray hidden = model.hiddenStates(TokenBatch.padded(m, prompts, true, 0), cache);
                drawn = NextTokens.draw(model.logits(hidden.get(":, -1, :")), active(samplers, done));   // [b, vocab] logits
            }
            for (int step = 0; step < maxNew && !allDone(done); step++) {
                long[] next = new long[b];
                long[] pos = new long[b];
                int[] docs = new int[b];
                for (int i = 0; i < b; i++) {
                    pos[i] = prompts.get(i).length + step;
                    if (done[i]) {
                        docs[i] = -1; // finished rows still take a slot, masked out
                        continue;
                    }
                    int token = drawn[i];
                    out.get(i).add(token);
                    next[i] = token;
                    if (stopIds.contains(token) || out.get(i).size() >= params.get(i).maxNewTokens()) {
                        done[i] = true;
                    }
                }
                if (allDone(done)) {
                    break;
                }
                try (NDScope ignored = new NDScope()) {
                    NDArray hidden = model.hiddenStates(TokenBatch.of(m, b, 1, next, pos, docs), cache);
                    drawn = NextTokens.draw(model.logits(hidden.get(":, -1, :")), active(samplers, done));
                }
            }
        }
        List<int[]> result = new ArrayList<>();
        for (List<Integer> row : out) {
            result.add(row.stream().mapToInt(Integer::intValue).toArray());
        }
        return result;
    }

    /** The samplers of the rows still generating (null for finished ones: nothing is drawn for them). */
    private static TokenSampler[] active(TokenSampler[] samplers, boolean[] done) {
        TokenSampler[] a = new TokenSampler[samplers.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = done[i] ? null : samplers[i];
        }
        return a;
    }

    private static boolean allDone(boolean[] done) {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }
}
