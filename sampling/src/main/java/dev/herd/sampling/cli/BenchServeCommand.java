package dev.herd.sampling.cli;

import dev.herd.sampling.server.OpenAiServer;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.cli.BenchDecoderCommand;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.ChatCompletion;
import dev.herd.openai.ChatCompletionRequest;
import dev.herd.openai.OpenAiJson;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Load test of herd serve: N concurrent clients send chat requests for a while; reports requests/s, "
                + "tokens/s, failures and the process's resident memory after warm-up and at the end.")
public final class BenchServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (with tokenizer files).")
    Path model;

    @Option(names = "--clients", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}")
    int clients;

    @Option(names = "--seconds", defaultValue = "60", description = "Measured time after warm-up. Default: ${DEFAULT-VALUE}")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "15", description = "Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--max-tokens", defaultValue = "16", description = "Per request. Default: ${DEFAULT-VALUE}")
    int maxTokens;

    @Option(names = "--max-batch", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}")
    int maxBatch;

    @Option(names = "--stream", description = "Stream the answers and report time to first token and inter-token latency "
            + "(p50, p95, max).")
    boolean stream;

    @Option(names = "--long-prompt-words", defaultValue = "0", description = "Every --long-every-th client sends prompts "
            + "of about this many words instead of one short sentence (long prefills among short requests). Default: ${DEFAULT-VALUE}")
    int longPromptWords;

    @Option(names = "--long-every", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}")
    int longEvery;

    @Option(names = "--prefill-chunk", defaultValue = "512", description = "Prompt tokens the engine runs per step "
            + "(herd serve's --prefill-chunk). Default: ${DEFAULT-VALUE}")
    int prefillChunk;

    @Option(names = "--device", defaultValue = "cpu", description = "Default: ${DEFAULT-VALUE}")
    String device;

    /** The p-th percentile of nanosecond durations, in milliseconds (nearest rank). */
    static double pct(List<Long> nanos, double p) {
        List<Long> sorted = new ArrayList<>(nanos);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        java.util.Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1))) / 1e6;
    }

    static long heapUsedMb() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) >> 20;
    }

    @Override
    public Integer call() throws Exception {
        if (!LlamaTokenizer.present(model)) {
            throw new HerdInputException(model + ": no tokenizer.json");
        }
        try (LlamaTokenizer tok = LlamaTokenizer.load(model);
             LlamaModel m = ModelFolder.load(model, Devices.parse(device));
             EngineLoop engine = new EngineLoop(m, new PagedEngine.Options(maxBatch, 16,
                     maxBatch * (8 + (longPromptWords * 2 + 15) / 16), true, prefillChunk), ids -> tok.decode(ids, true));
             OpenAiServer server = new OpenAiServer(engine, tok, "bench", "127.0.0.1", 0, null,
                     Math.max(1024, longPromptWords * 2 + 2 * maxTokens + 64), maxTokens, 0)) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            AtomicLong ok = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            AtomicLong tokens = new AtomicLong();
            long start = System.nanoTime();
            long warmEnd = start + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            List<Long> firstTokenNanos = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> gapNanos = java.util.Collections.synchronizedList(new ArrayList<>());
            String filler = " the quick brown fox jumps over the lazy dog".repeat(Math.max(0, longPromptWords / 9));
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    int i = 0;
                    while (System.nanoTime() < end) {
                        long seed = client * 100_000 + i++;
                        String text = "Tell me about item " + client + "-" + i + "."
                                + (longPromptWords > 0 && client % longEvery == 0 ? filler : "");
                        ChatCompletionRequest req = ChatCompletionRequest.sample("bench", List.of(ChatMessage.user(text)),
                                maxTokens, 0.8, seed, List.of());
                        if (stream) {
                            req = new ChatCompletionRequest(req.model(), req.messages(), req.temperature(), req.topP(),
                                    req.maxTokens(), req.n(), req.seed(), req.stop(), true);
                        }
                        String body = OpenAiJson.write(req);
                        try {
                            if (stream) {
                                long sent = System.nanoTime();
                                HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(uri)
                                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                                        .build(), HttpResponse.BodyHandlers.ofLines());
                                long firstToken = -1;
                                long previous = 0;
                                int count = 0;
                                List<Long> gaps = new ArrayList<>();
                                for (String line : (Iterable<String>) r.body()::iterator) {
                                    if (!line.startsWith("data: {")) {
                                        continue;
                                    }
                                    var chunk = OpenAiJson.read(line.substring(6), dev.herd.openai.ChatCompletionChunk.class);
                                    String content = chunk.choices().isEmpty() || chunk.choices().get(0).delta() == null
                                            ? null : chunk.choices().get(0).delta().content();
                                    if (content == null || content.isEmpty()) {
                                        continue;                // the role opening the stream, or the finish reason
                                    }
                                    long now = System.nanoTime();
                                    if (firstToken < 0) {
                                        firstToken = now - sent;
                                    } else {
                                        gaps.add(now - previous);
                                    }
                                    previous = now;
                                    count++;
                                }
                                if (r.statusCode() == 200 && count > 0) {
                                    if (System.nanoTime() > warmEnd) {
                                        ok.incrementAndGet();
                                        tokens.addAndGet(count);
                                        firstTokenNanos.add(firstToken);
                                        gapNanos.addAll(gaps);
                                    }
                                } else {
                                    failed.incrementAndGet();
                                }
                                continue;
                            }
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                            boolean counted = System.nanoTime() > warmEnd;
                            if (r.statusCode() == 200) {
                                ChatCompletion answer = OpenAiJson.read(r.body(), ChatCompletion.class);
                                if (counted) {
                                    ok.incrementAndGet();
                                    tokens.addAndGet(answer.usage().completionTokens());
                                }
                            } else {
                                failed.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
            Thread.sleep(warmup * 1000L);
            long rssWarm = BenchDecoderCommand.rssKb();
            long heapWarm = heapUsedMb();
            long t0 = System.nanoTime();
            for (Thread t : threads) {
                t.join();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long rssEnd = BenchDecoderCommand.rssKb();
            long heapEnd = heapUsedMb();
            System.out.printf("%d clients, %d s after %d s warm-up: %d requests ok, %d failed; %.1f requests/s, %.0f tokens/s; "
                            + "RSS %d MiB after warm-up, %d MiB at the end (Java heap in use after GC: %d, then %d MiB; "
                            + "pre-touch the heap with HERD_JAVA_OPTS='-Xms2g -Xmx2g -XX:+AlwaysPreTouch' to see native memory "
                            + "alone)%n", clients, seconds, warmup, ok.get(), failed.get(), ok.get() / secs, tokens.get() / secs,
                    rssWarm / 1024, rssEnd / 1024, heapWarm, heapEnd);
            if (stream) {
                System.out.printf("time to first token: p50 %.0f ms, p95 %.0f ms; inter-token latency: p50 %.0f ms, p95 %.0f ms, "
                                + "max %.0f ms (prefill chunk %d tokens%s)%n", pct(firstTokenNanos, 50), pct(firstTokenNanos, 95),
                        pct(gapNanos, 50), pct(gapNanos, 95), pct(gapNanos, 100), prefillChunk,
                        longPromptWords > 0 ? ", every " + longEvery + "th client sending ~" + longPromptWords + "-word prompts" : "");
            }
        }
        return 0;
    }
}
