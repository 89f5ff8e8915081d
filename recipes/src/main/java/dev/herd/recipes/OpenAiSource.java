package dev.herd.recipes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herd.evals.EvalModel;
import dev.herd.evals.OpenAiModel;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.sampling.Completion;
import dev.herd.sampling.RejectionSampler;
import dev.herd.sampling.SampleRequest;
import dev.herd.sampling.SampleSource;
import dev.herd.sampling.SamplingPrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples from a model behind an OpenAI-compatible API (vLLM, TGI, a hosted teacher) with the evals' client:
 * requests in flight up to {@code concurrency}, connection errors, 429 and 5xx retried with back-off. Each
 * sample is its own request with its own seed (the same seeds a local run would use), so a server that honours
 * {@code seed} reproduces them. Text prompts go to {@code /completions}, conversations to
 * {@code /chat/completions}; the API key, if any, comes from {@code OPENAI_API_KEY}.
 */
final class OpenAiSource implements SampleSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final OpenAiModel client;
    private final String name;
    private final int concurrency;

    OpenAiSource(String baseUrl, String modelName, int concurrency, int retries) {
        this.client = new OpenAiModel(baseUrl, System.getenv("OPENAI_API_KEY"), modelName, concurrency, retries);
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
            List<EvalModel.Generation> gens = new ArrayList<>();
            for (int i = from; i < to; i++) {
                SamplingPrompt p = prompts.get(i);
                long seed = RejectionSampler.promptSeed(s.params().seed(), p.id());
                for (int k = 0; k < s.n(); k++) {
                    gens.add(new EvalModel.Generation(p.messages() == null ? p.text() : null, messagesJson(p, s.systemPrompt()),
                            s.stopStrings(), s.params().maxNewTokens(), s.params().temperature(), SampleRequest.sampleSeed(seed, k)));
                }
            }
            List<String> texts = client.generate(gens);
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

    private static String messagesJson(SamplingPrompt p, String systemPrompt) {
        if (p.messages() == null) {
            return null;
        }
        ArrayNode arr = JSON.createArrayNode();
        if (systemPrompt != null && !"system".equals(p.messages().get(0).role())) {
            arr.addObject().put("role", "system").put("content", systemPrompt);
        }
        for (ChatMessage m : p.messages()) {
            arr.addObject().put("role", m.role()).put("content", m.content());
        }
        return arr.toString();
    }

    @Override
    public void close() {
        client.close();
    }
}
