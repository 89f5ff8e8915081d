package dev.herd.evals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A model behind an OpenAI-compatible server (vLLM, llama.cpp's server, {@code herd serve}): log-likelihoods
 * from {@code /v1/completions} with {@code echo} and {@code logprobs} (as lm-evaluation-harness's
 * local-completions does), generations from {@code /v1/completions} or {@code /v1/chat/completions}.
 * Requests run concurrently; connection errors, 429 and 5xx are retried with backoff, then reported once.
 */
public final class OpenAiModel implements EvalModel {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String apiKey;
    private final String model;
    private final int retries;
    private final HttpClient http;
    private final ExecutorService pool;

    public OpenAiModel(String url, String apiKey, String model, int concurrency, int retries) {
        String b = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.base = b.endsWith("/v1") ? b : b + "/v1";
        this.apiKey = apiKey;
        this.retries = retries;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        this.pool = Executors.newFixedThreadPool(Math.max(1, concurrency));
        this.model = model != null ? model : firstModel();
    }

    @Override
    public String name() {
        return base + " (" + model + ")";
    }

    private String firstModel() {
        JsonNode models = call("GET", "/models", null);
        JsonNode data = models.path("data");
        if (!data.isArray() || data.isEmpty()) {
            throw new HerdInputException(base + "/models lists no model; pass --served-model");
        }
        return data.get(0).path("id").asText();
    }

    @Override
    public double[] logLikelihoods(List<Continuation> requests) {
        List<Double> out = all(requests.stream().<Callable<Double>>map(r -> () -> {
            ObjectNode body = JSON.createObjectNode();
            body.put("model", model);
            body.put("prompt", r.context() + r.continuation());
            body.put("max_tokens", 1);
            body.put("echo", true);
            body.put("logprobs", 1);
            body.put("temperature", 0.0);
            JsonNode lp = call("POST", "/completions", body).path("choices").path(0).path("logprobs");
            JsonNode offsets = lp.path("text_offset");
            JsonNode values = lp.path("token_logprobs");
            if (!offsets.isArray() || !values.isArray()) {
                throw new HerdInputException(base + "/completions: the response has no echoed logprobs "
                        + "(the server must support echo with logprobs)");
            }
            int start = r.context().length();
            int end = start + r.continuation().length();
            double sum = 0;
            for (int i = 0; i < offsets.size(); i++) {
                int off = offsets.get(i).asInt();
                if (off >= start && off < end && !values.get(i).isNull()) {
                    sum += values.get(i).asDouble();
                }
            }
            return sum;
        }).toList());
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    public List<String> generate(List<Generation> requests) {
        return all(requests.stream().<Callable<String>>map(g -> () -> {
            ObjectNode body = JSON.createObjectNode();
            body.put("model", model);
            body.put("max_tokens", g.maxTokens());
            body.put("temperature", g.temperature());
            body.put("seed", g.seed());
            if (!g.stop().isEmpty()) {
                ArrayNode stop = body.putArray("stop");
                g.stop().stream().limit(4).forEach(stop::add); // OpenAI accepts up to 4
            }
            String text;
            if (g.messages() != null) {
                body.set("messages", JSON.readTree(g.messages()));
                text = call("POST", "/chat/completions", body).path("choices").path(0).path("message").path("content").asText("");
            } else {
                body.put("prompt", g.prompt());
                text = call("POST", "/completions", body).path("choices").path(0).path("text").asText("");
            }
            return EvalModel.cut(text, g.stop());
        }).toList());
    }

    private <T> List<T> all(List<Callable<T>> jobs) {
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> j : jobs) {
            futures.add(pool.submit(j));
        }
        List<T> out = new ArrayList<>();
        try {
            for (Future<T> f : futures) {
                out.add(f.get());
            }
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** One request with retries on connection errors, 429 and 5xx. */
    JsonNode call(String method, String path, JsonNode body) {
        String url = base + path;
        String last = "";
        for (int attempt = 0; attempt <= retries; attempt++) {
            if (attempt > 0) {
                sleep(Math.min(8000, 250L << attempt));
            }
            try {
                HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
                        .header("Content-Type", "application/json");
                if (apiKey != null) {
                    req.header("Authorization", "Bearer " + apiKey);
                }
                req.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
                HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                int code = resp.statusCode();
                if (code == 200) {
                    return JSON.readTree(resp.body());
                }
                last = "HTTP " + code + ": " + resp.body().substring(0, Math.min(200, resp.body().length()));
                if (code != 429 && code < 500) {
                    throw new HerdInputException(url + ": " + last);
                }
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new HerdInputException(url + ": no answer after " + (retries + 1) + " attempts (" + last + ")");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
