package dev.herd.sampling.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.ModelInfo;
import dev.herd.openai.ModelList;
import dev.herd.openai.OpenAiError;
import dev.herd.openai.OpenAiException;
import dev.herd.openai.OpenAiRequests;
import dev.herd.sampling.engine.EngineLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP server over an {@link EngineLoop}: {@code /v1/models}, {@code /v1/completions} and
 * {@code /v1/chat/completions} (with {@code stream}, {@code n}, {@code temperature}, {@code top_p},
 * {@code max_tokens}, {@code stop}, {@code seed}, and {@code logprobs} for completions). Concurrent requests
 * share the engine's batch. Errors come in OpenAI's shape and never stop the server.
 *
 * <p>This class authenticates and routes; bodies are parsed by {@link OpenAiRequests}, admitted to the engine
 * by {@link Admission}, and answered by {@link Answers} or, streamed, by {@link StreamWriter}.
 */
public final class OpenAiServer implements AutoCloseable {

    /**
     * What one request may ask of the server.
     *
     * @param maxBodyBytes a larger body is refused with 413 before it is read whole
     * @param maxSequences prompts × n of one request
     */
    public record Limits(long maxBodyBytes, int maxSequences) {
        public static final Limits DEFAULT = new Limits(16L << 20, 256);
    }

    private final HttpServer http;
    private final ExecutorService workers;
    private final String modelId;
    private final byte[] authorization;
    private final Limits limits;
    private final Admission admission;
    private final Answers answers;
    private final StreamWriter streams;
    private final long created = System.currentTimeMillis() / 1000;

    /**
     * @param maxModelLen      prompt + max_tokens may not exceed this
     * @param defaultMaxTokens max_tokens of a chat request that gives none (completions: 16, as OpenAI)
     * @param seed             seeds requests that give none, in arrival order
     */
    public OpenAiServer(EngineLoop engine, LlamaTokenizer tok, String modelId, String host, int port, String apiKey,
                        int maxModelLen, int defaultMaxTokens, long seed) throws IOException {
        this(engine, tok, modelId, host, port, apiKey, maxModelLen, defaultMaxTokens, seed, Limits.DEFAULT);
    }

    public OpenAiServer(EngineLoop engine, LlamaTokenizer tok, String modelId, String host, int port, String apiKey,
                        int maxModelLen, int defaultMaxTokens, long seed, Limits limits) throws IOException {
        this.modelId = modelId;
        this.authorization = apiKey == null ? null : ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8);
        this.limits = limits;
        this.admission = new Admission(engine, tok, maxModelLen, defaultMaxTokens, seed, limits.maxSequences());
        this.answers = new Answers(engine, tok, modelId);
        this.streams = new StreamWriter(engine, new StreamText(tok), tok, modelId);
        this.http = HttpServer.create(new InetSocketAddress(host, port), 256);
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "herd-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(workers);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The port actually bound (for port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                throw new OpenAiException(401, OpenAiError.INVALID_REQUEST, "invalid_api_key", "Incorrect API key provided");
            }
            String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
            String method = ex.getRequestMethod();
            if (path.equals("/v1/models") && method.equals("GET")) {
                Replies.json(ex, 200, ModelList.of(List.of(ModelInfo.of(modelId, created, "herd"))));
            } else if (path.equals("/v1/completions") && method.equals("POST")) {
                answer(ex, admission.completion(OpenAiRequests.completion(body(ex), modelId)));
            } else if (path.equals("/v1/chat/completions") && method.equals("POST")) {
                answer(ex, admission.chat(OpenAiRequests.chat(body(ex), modelId)));
            } else {
                throw new OpenAiException(404, OpenAiError.INVALID_REQUEST, "not_found", "no route " + method + " " + path);
            }
        } catch (RuntimeException e) {
            Replies.error(ex, failure(ex, e));
        } finally {
            ex.close();
        }
    }

    /** What the client is told of {@code e}: an internal error is logged and answered without its text. */
    private static OpenAiException failure(HttpExchange ex, RuntimeException e) {
        if (e instanceof OpenAiException known) {
            return known;
        }
        // The client learns that it failed, not how: exception text can name files and internals.
        String id = Long.toHexString(System.nanoTime());
        System.err.println("herd serve: internal error " + id + " on " + ex.getRequestMethod() + " " + ex.getRequestURI());
        e.printStackTrace();
        return OpenAiException.server("internal server error (logged by the server as " + id + ")");
    }

    /** Constant-time, so the key cannot be guessed byte by byte from response times. */
    private boolean authorized(String header) {
        return authorization == null
                || (header != null && MessageDigest.isEqual(authorization, header.getBytes(StandardCharsets.UTF_8)));
    }

    /** The request body, refused with 413 past the limit without reading more than the limit. */
    private byte[] body(HttpExchange ex) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.strip()) > limits.maxBodyBytes()) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw OpenAiException.bad("Content-Length is not a number: " + declared);
            }
        }
        byte[] bytes = ex.getRequestBody().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBodyBytes() + 1));
        if (bytes.length > limits.maxBodyBytes()) {
            throw tooLarge();
        }
        return bytes;
    }

    private OpenAiException tooLarge() {
        return new OpenAiException(413, OpenAiError.INVALID_REQUEST, "request_too_large",
                "request body over the server's limit of " + limits.maxBodyBytes() + " bytes (herd serve --max-body-mb)");
    }

    private void answer(HttpExchange ex, Job job) throws IOException {
        if (job.stream()) {
            streams.write(ex, job);
        } else {
            Heartbeat client = new Heartbeat(ex);
            try {
                client.reply(job.chat() ? answers.chat(job, client) : answers.text(job, client));
            } catch (RuntimeException e) {
                if (!client.committed()) {
                    throw e;
                }
                client.reply(failure(ex, e).response());   // the 200 is out: the error object is the body
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        workers.shutdownNow();
    }
}
