package dev.herd.sampling.rejection;

import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.engine.SampleRequest;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Samples from a local model through the {@link PagedEngine}. */
public final class LocalSource implements SampleSource {

    private final LlamaModel model;
    private final LlamaTokenizer tok;
    private final String name;
    private PagedEngine.Stats stats;

    public LocalSource(LlamaModel model, LlamaTokenizer tok, String name) {
        this.model = model;
        this.tok = tok;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void sample(List<SamplingPrompt> prompts, RejectionSampler.Settings s, Listener listener) {
        ChatEncoder chat = ChatEncoder.of(tok);
        List<SampleRequest> requests = new ArrayList<>();
        for (SamplingPrompt p : prompts) {
            requests.add(new SampleRequest(RejectionSampler.encode(p, s.systemPrompt(), tok, chat), s.n(),
                    s.params().withSeed(RejectionSampler.promptSeed(s.params().seed(), p.id())), tok.stopIds(), s.stopStrings()));
        }
        try (PagedEngine engine = new PagedEngine(model, s.engine(), ids -> tok.decode(ids, true))) {
            engine.run(requests, new PagedEngine.Listener() {
                @Override
                public void onDone(int index, List<Completion> done) {
                    listener.onDone(index, done);
                }

                @Override
                public void onSample(int generated) {
                    listener.onTokens(generated);
                }
            });
            stats = engine.stats();
        }
    }

    @Override
    public PagedEngine.Stats stats() {
        return stats;
    }
}
