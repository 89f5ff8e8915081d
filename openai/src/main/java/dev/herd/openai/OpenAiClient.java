package dev.herd.openai;

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
 * Talks to an OpenAI-compatible server (vLLM, llama.cpp's server, a hosted API, {@code herd serve}). Each call
 * is retried with back-off on connection errors, 429 and 5xx, then reported once as a {@link HerdInputException}
 * naming the URL; other 4xx answers fail at once. {@link #all} runs calls up to {@code concurrency} at a time.
 */
public final class OpenAiClient implements AutoCloseable {

    private final String base;
    private final String apiKey;
    private final int retries;
    private final HttpClient http;
    private final ExecutorService pool;

    /**
     * @param url     the server, with or without the {@code /v1} suffix
     * @param apiKey  sent as {@code Authorization: Bearer}; null for none
     * @param retries further attempts after the first
     */
    public OpenAiClient(String url, String apiKey, int concurrency, int retries) {
        String b = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.base = b.endsWith("/v1") ? b : b + "/v1";
        this.apiKey = apiKey;
        this.retries = retries;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        this.pool = Executors.newFixedThreadPool(Math.max(1, concurrency));
    }

    /** Whether a {@code --model} names a served model (an http(s) URL) rather than a folder. */
    public static boolean isUrl(String model) {
        return model.startsWith("http://") || model.startsWith("https://");
    }

    /** The API's root, ending in {@code /v1}. */
    public String base() {
        return base;
    }

    public ModelList models() {
        return call("GET", "/models", null, ModelList.class);
    }

    public ChatCompletion chat(ChatCompletionRequest request) {
        return call("POST", "/chat/completions", request, ChatCompletion.class);
    }

    public TextCompletion complete(CompletionRequest request) {
        return call("POST", "/completions", request, TextCompletion.class);
    }

    /**
     * Runs {@code jobs} (each usually one call) up to {@code concurrency} at a time and returns their results in
     * order. The first failure cancels the rest and is thrown as it was.
     */
    public <T> List<T> all(List<Callable<T>> jobs) {
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

    /** One request with retries on connection errors, 429 and 5xx (and on a 200 whose body does not parse). */
    private <T> T call(String method, String path, Object body, Class<T> answer) {
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
                        : HttpRequest.BodyPublishers.ofString(OpenAiJson.write(body)));
                HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                int code = resp.statusCode();
                if (code == 200) {
                    return OpenAiJson.read(resp.body(), answer);
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
