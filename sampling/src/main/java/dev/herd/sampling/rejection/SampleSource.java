package dev.herd.sampling.rejection;

import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.PagedEngine;
import java.util.List;

/**
 * Where samples come from: the local paged engine ({@link LocalSource}) or a model served elsewhere behind an
 * OpenAI-compatible API (a 405B teacher on vLLM, wired in by the {@code herd} command). Scoring and storage
 * are the same for both.
 */
public interface SampleSource extends AutoCloseable {

    /** Receives each prompt's samples as soon as all of them are done. */
    interface Listener {
        void onDone(int promptIndex, List<Completion> samples);

        /** Tokens generated since the last call, for tokens/s (sources that cannot count report 0). */
        default void onTokens(int generated) {}
    }

    /** A short description for logs (a model folder, or a URL and model name). */
    String name();

    /** Generates {@code settings.n()} samples for every prompt. */
    void sample(List<SamplingPrompt> prompts, RejectionSampler.Settings settings, Listener listener);

    /** What the engine did, where there is one (null for remote sources). */
    default PagedEngine.Stats stats() {
        return null;
    }

    @Override
    default void close() {}
}
