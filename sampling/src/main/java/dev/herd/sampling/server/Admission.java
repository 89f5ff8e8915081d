package dev.herd.sampling.server;

import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.ChatCompletionRequest;
import dev.herd.openai.CompletionRequest;
import dev.herd.openai.OpenAiException;
import dev.herd.sampling.engine.EngineLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns a parsed request into a {@link Job}: fills in this server's defaults, tokenizes the prompts, and refuses
 * what the model cannot take (a prompt plus {@code max_tokens} past the context, or more KV blocks than the pool
 * has, which would otherwise wait forever).
 */
final class Admission {

    /** OpenAI's default {@code max_tokens} for legacy completions. */
    private static final int COMPLETION_MAX_TOKENS = 16;

    private final EngineLoop engine;
    private final LlamaTokenizer tok;
    private final ChatEncoder chat;
    private final int maxModelLen;
    private final int defaultMaxTokens;
    private final SplittableRandom seeds;
    private final int maxSequences;

    Admission(EngineLoop engine, LlamaTokenizer tok, int maxModelLen, int defaultMaxTokens, long seed, int maxSequences) {
        this.maxSequences = maxSequences;
        this.engine = engine;
        this.tok = tok;
        this.chat = ChatEncoder.of(tok);
        this.maxModelLen = maxModelLen;
        this.defaultMaxTokens = defaultMaxTokens;
        this.seeds = new SplittableRandom(seed);
    }

    Job chat(ChatCompletionRequest r) {
        List<int[]> prompts = List.of(chat.encode(r.messages(), true).ids());
        return admit(true, prompts, r.n(), r.maxTokens() != null ? r.maxTokens() : defaultMaxTokens, r.temperature(),
                r.topP(), r.seed(), r.stop(), -1, r.stream(), null);
    }

    Job completion(CompletionRequest r) {
        List<int[]> prompts = new ArrayList<>();
        for (String p : r.prompt()) {
            prompts.add(tok.encode(p, true, true));
        }
        return admit(false, prompts, r.n(), r.maxTokens() != null ? r.maxTokens() : COMPLETION_MAX_TOKENS, r.temperature(),
                r.topP(), r.seed(), r.stop(), r.logprobs() != null ? r.logprobs() : -1, r.stream(),
                Boolean.TRUE.equals(r.echo()) ? r.prompt() : null);
    }

    private Job admit(boolean isChat, List<int[]> prompts, Integer nOrNull, int maxTokens, Double temperature, Double topP,
                      Long seedOrNull, List<String> stopOrNull, int logprobs, Boolean stream, List<String> echo) {
        int n = nOrNull != null ? nOrNull : 1;
        if ((long) prompts.size() * n > maxSequences) {
            throw OpenAiException.bad(prompts.size() + " prompts x n " + n + " = " + (long) prompts.size() * n
                    + " sequences; this server takes at most " + maxSequences + " per request (herd serve --max-sequences)");
        }
        long seed;
        if (seedOrNull != null) {
            seed = seedOrNull;
        } else {
            synchronized (seeds) {
                seed = seeds.nextLong();
            }
        }
        List<String> stop = stopOrNull != null ? stopOrNull : List.of();
        for (int[] p : prompts) {
            if (p.length + maxTokens > maxModelLen) {
                throw OpenAiException.bad("This model's maximum context length is " + maxModelLen + " tokens. However, you requested "
                        + (p.length + maxTokens) + " tokens (" + p.length + " in the prompt, " + maxTokens
                        + " in the completion). Please reduce the length of the prompt or max_tokens.");
            }
        }
        SamplingParams params = new SamplingParams(temperature != null ? temperature : 1.0, 0, topP != null ? topP : 1.0,
                maxTokens, seed);
        Job job = new Job(isChat, prompts, n, params, tok.stopIds(), stop, logprobs, Boolean.TRUE.equals(stream), echo);
        for (int i = 0; i < prompts.size(); i++) {
            int need = engine.blocksNeeded(job.request(i));
            if (need > engine.capacityBlocks()) {
                throw OpenAiException.bad("the request needs " + need + " KV blocks of " + engine.blockSize() + " tokens ("
                        + prompts.get(i).length + " prompt tokens, " + maxTokens + " max_tokens, n " + n
                        + "); the server's pool holds " + engine.capacityBlocks() + " (start it with a larger --kv-blocks)");
            }
        }
        return job;
    }
}
