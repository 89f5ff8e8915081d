package dev.herd.evals;

import dev.herd.llama.generate.StopStrings;

import dev.herd.common.HerdInputException;
import dev.herd.openai.ChatCompletionRequest;
import dev.herd.openai.CompletionRequest;
import dev.herd.openai.Logprobs;
import dev.herd.openai.ModelList;
import dev.herd.openai.OpenAiClient;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A model behind an OpenAI-compatible server (vLLM, llama.cpp's server, {@code herd serve}): log-likelihoods
 * from {@code /v1/completions} with {@code echo} and {@code logprobs} (as lm-evaluation-harness's
 * local-completions does), generations from {@code /v1/completions} or {@code /v1/chat/completions}.
 * Requests run concurrently; connection errors, 429 and 5xx are retried with backoff, then reported once
 * (all through {@link OpenAiClient}).
 */
public final class OpenAiModel implements EvalModel {

    private final OpenAiClient client;
    private final String model;

    public OpenAiModel(String url, String apiKey, String model, int concurrency, int retries) {
        this.client = new OpenAiClient(url, apiKey, concurrency, retries);
        this.model = model != null ? model : firstModel();
    }

    @Override
    public String name() {
        return client.base() + " (" + model + ")";
    }

    private String firstModel() {
        ModelList models = client.models();
        if (models.data() == null || models.data().isEmpty()) {
            throw new HerdInputException(client.base() + "/models lists no model; pass --served-model");
        }
        return models.data().get(0).id();
    }

    @Override
    public double[] logLikelihoods(List<Continuation> requests) {
        List<Double> out = client.all(requests.stream().<Callable<Double>>map(r -> () -> {
            var choices = client.complete(CompletionRequest.echoLogprobs(model, r.context() + r.continuation())).choices();
            Logprobs lp = choices == null || choices.isEmpty() ? null : choices.get(0).logprobs();
            if (lp == null || lp.textOffset() == null || lp.tokenLogprobs() == null) {
                throw new HerdInputException(client.base() + "/completions: the response has no echoed logprobs "
                        + "(the server must support echo with logprobs)");
            }
            // Sum the tokens that start inside the continuation; the echoed prompt's first token has no log-prob.
            int start = r.context().length();
            int end = start + r.continuation().length();
            double sum = 0;
            for (int i = 0; i < lp.textOffset().size(); i++) {
                int off = lp.textOffset().get(i);
                if (off >= start && off < end && lp.tokenLogprobs().get(i) != null) {
                    sum += lp.tokenLogprobs().get(i);
                }
            }
            return sum;
        }).toList());
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    public List<String> generate(List<Generation> requests) {
        return client.all(requests.stream().<Callable<String>>map(g -> () -> {
            String text = g.messages() != null
                    ? client.chat(ChatCompletionRequest.sample(model, g.messages(), g.maxTokens(), g.temperature(), g.seed(),
                            g.stop())).firstText()
                    : client.complete(CompletionRequest.sample(model, g.prompt(), g.maxTokens(), g.temperature(), g.seed(),
                            g.stop())).firstText();
            return StopStrings.cut(text, g.stop());
        }).toList());
    }

    @Override
    public void close() {
        client.close();
    }
}
