package dev.herd.sampling.rejection;

import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.SampleRequest;
import dev.herd.llama.generate.StopStrings;

import dev.herd.llama.chat.ChatMessage;
import dev.herd.openai.ChatCompletionRequest;
import dev.herd.openai.CompletionRequest;
import dev.herd.openai.OpenAiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Samples from a model behind an OpenAI-compatible API (vLLM, TGI, a hosted teacher) through {@link OpenAiClient}:
 * requests in flight up to {@code concurrency}, connection errors, 429 and 5xx retried with back-off. Each
 * sample is its own request with its own seed (the same seeds a local run would use), so a server that honours
 * {@code seed} reproduces them. Text prompts go to {@code /completions}, conversations to
 * {@code /chat/completions}; the API key, if any, comes from {@code OPENAI_API_KEY}.
 */
public final class OpenAiSource implements SampleSource {

    private final OpenAiClient client;
    private final String model;
    private final String name;
    private final int concurrency;

    public OpenAiSource(String baseUrl, String modelName, int concurrency, int retries) {
        this.client = new OpenAiClient(baseUrl, System.getenv("OPENAI_API_KEY"), concurrency, retries);
        this.model = modelName;
        this.name = modelName + "@" + baseUrl;
        this.concurrency = Math.max(1, concurrency);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void sample(List<SamplingPrompt> prompts, RejectionSampler.Settings s, Listener listener) {
        // Whole prompts per batch of requests, so results reach the listener (and the disk) prompt by prompt.
        int perBatch = Math.max(1, concurrency / s.n());
        for (int from = 0; from < prompts.size(); from += perBatch) {
            int to = Math.min(prompts.size(), from + perBatch);
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = from; i < to; i++) {
                SamplingPrompt p = prompts.get(i);
                List<ChatMessage> messages = messages(p, s.systemPrompt());
                long seed = RejectionSampler.promptSeed(s.params().seed(), p.id());
                for (int k = 0; k < s.n(); k++) {
                    long sampleSeed = SampleRequest.sampleSeed(seed, k);
                    calls.add(() -> StopStrings.cut(messages != null
                            ? client.chat(ChatCompletionRequest.sample(model, messages, s.params().maxNewTokens(),
                                    s.params().temperature(), sampleSeed, s.stopStrings())).firstText()
                            : client.complete(CompletionRequest.sample(model, p.text(), s.params().maxNewTokens(),
                                    s.params().temperature(), sampleSeed, s.stopStrings())).firstText(), s.stopStrings()));
                }
            }
            List<String> texts = client.all(calls);
            for (int i = from; i < to; i++) {
                List<Completion> done = new ArrayList<>();
                for (int k = 0; k < s.n(); k++) {
                    // The client keeps the text only: token ids and the finish reason stay on the server.
                    done.add(new Completion(new int[0], texts.get((i - from) * s.n() + k), null));
                }
                listener.onDone(i, done);
            }
        }
    }

    /** The conversation as sent: the run's system prompt first unless the prompt brings its own. */
    private static List<ChatMessage> messages(SamplingPrompt p, String systemPrompt) {
        if (p.messages() == null) {
            return null;
        }
        List<ChatMessage> out = new ArrayList<>();
        if (systemPrompt != null && !"system".equals(p.messages().get(0).role())) {
            out.add(ChatMessage.system(systemPrompt));
        }
        out.addAll(p.messages());
        return out;
    }

    @Override
    public void close() {
        client.close();
    }
}
