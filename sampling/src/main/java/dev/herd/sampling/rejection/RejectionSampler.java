package dev.herd.sampling.rejection;

import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.scoring.Scorer;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.common.Progress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Llama 3's rejection sampling: K samples per prompt from the current model (or a remote teacher), each
 * scored, the best kept as an SFT example and (best, worst) available as a preference pair. Results reach the
 * sink prompt by prompt, as soon as a prompt's K samples are done, so a crash loses only prompts in flight.
 */
public final class RejectionSampler {

    /**
     * @param params       sampling parameters; each prompt's seed is derived from {@code params.seed()} and its id
     * @param systemPrompt prepended as a system turn to conversation prompts that have none, or null
     */
    public record Settings(int n, SamplingParams params, String systemPrompt, List<String> stopStrings, PagedEngine.Options engine) {}

    /**
     * One prompt's outcome.
     *
     * @param scores per sample, or null without a scorer
     * @param best   index of the highest score (first on ties), −1 without a scorer
     * @param worst  index of the lowest score, −1 without a scorer
     */
    public record Result(SamplingPrompt prompt, List<Completion> samples, double[] scores, int best, int worst) {}

    public interface Sink {
        void accept(Result result);
    }

    private RejectionSampler() {}

    /** The token ids a prompt is sampled from: text as {@code herd generate --prompt}, messages as {@code --chat}. */
    public static int[] encode(SamplingPrompt p, String systemPrompt, LlamaTokenizer tok, ChatEncoder chat) {
        if (p.messages() == null) {
            return tok.encode(p.text(), true, true);
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (systemPrompt != null && !"system".equals(p.messages().get(0).role())) {
            messages.add(ChatMessage.system(systemPrompt));
        }
        messages.addAll(p.messages());
        return chat.encode(messages, true).ids();
    }

    /** A prompt's seed: fixed by the run's seed and the prompt's id, so a resumed run draws the same samples. */
    public static long promptSeed(long seed, String id) {
        return seed * 1_000_003L + id.hashCode();
    }

    /** Samples every prompt from {@code source}, scores each prompt's samples and hands the result to {@code sink}. */
    public static void run(SampleSource source, List<SamplingPrompt> prompts, Settings s, Scorer scorer, Sink sink) {
        long start = System.nanoTime();
        long[] tokens = {0};
        int[] samples = {0};
        try (Progress progress = Progress.of("sampling", prompts.size())) {
            source.sample(prompts, s, new SampleSource.Listener() {
                @Override
                public void onDone(int index, List<Completion> done) {
                    SamplingPrompt p = prompts.get(index);
                    double[] scores = null;
                    int best = -1;
                    int worst = -1;
                    if (scorer != null) {
                        List<String> texts = done.stream().map(Completion::text).toList();
                        scores = scorer.score(Collections.nCopies(texts.size(), p), texts);
                        best = 0;
                        worst = 0;
                        for (int i = 1; i < scores.length; i++) {
                            best = scores[i] > scores[best] ? i : best;
                            worst = scores[i] < scores[worst] ? i : worst;
                        }
                    }
                    sink.accept(new Result(p, done, scores, best, worst));
                    samples[0] += done.size();
                    double secs = (System.nanoTime() - start) / 1e9;
                    progress.step(String.format("%.1f samples/s, %.0f tokens/s", samples[0] / secs, tokens[0] / secs));
                }

                @Override
                public void onTokens(int generated) {
                    tokens[0] += generated;
                }
            });
        }
    }
}
