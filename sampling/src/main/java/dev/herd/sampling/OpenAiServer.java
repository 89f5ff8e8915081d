package dev.herd.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An OpenAI-compatible HTTP server over an {@link EngineLoop}: {@code /v1/models}, {@code /v1/completions} and
 * {@code /v1/chat/completions} (with {@code stream}, {@code n}, {@code temperature}, {@code top_p},
 * {@code max_tokens}, {@code stop}, {@code seed}, and {@code logprobs} for completions). Concurrent requests
 * share the engine's batch. Errors come in OpenAI's shape and never stop the server.
 */
public final class OpenAiServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An error to answer with: HTTP status, OpenAI error type and message. */
    static final class ApiError extends RuntimeException {
        final int status;
        final String type;
        final String code;

        ApiError(int status, String type, String code, String message) {
            super(message);
            this.status = status;
            this.type = type;
            this.code = code;
        }

        static ApiError bad(String message) {
            return new ApiError(400, "invalid_request_error", null, message);
        }
    }

    private final HttpServer http;
    private final ExecutorService workers;
    private final EngineLoop engine;
    private final LlamaTokenizer tok;
    private final ChatEncoder chat;
    private final String modelId;
    private final String apiKey;
    private final int maxModelLen;
    private final int defaultMaxTokens;
    private final SplittableRandom seeds;
    private final long created = System.currentTimeMillis() / 1000;

    /**
     * @param maxModelLen      prompt + max_tokens may not exceed this
     * @param defaultMaxTokens max_tokens of a chat request that gives none (completions: 16, as OpenAI)
     * @param seed             seeds requests that give none, in arrival order
     */
    public OpenAiServer(EngineLoop engine, LlamaTokenizer tok, String modelId, String host, int port, String apiKey,
                        int maxModelLen, int defaultMaxTokens, long seed) throws IOException {
        this.engine = engine;
        this.tok = tok;
        this.chat = ChatEncoder.of(tok);
        this.modelId = modelId;
        this.apiKey = apiKey;
        this.maxModelLen = maxModelLen;
        this.defaultMaxTokens = defaultMaxTokens;
        this.seeds = new SplittableRandom(seed);
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
            if (apiKey != null && !("Bearer " + apiKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                throw new ApiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided");
            }
            String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
            String method = ex.getRequestMethod();
            if (path.equals("/v1/models") && method.equals("GET")) {
                ObjectNode o = JSON.createObjectNode().put("object", "list");
                o.putArray("data").addObject().put("id", modelId).put("object", "model").put("created", created)
                        .put("owned_by", "herd");
                send(ex, 200, o);
            } else if (path.equals("/v1/completions") && method.equals("POST")) {
                generate(ex, body(ex), false);
            } else if (path.equals("/v1/chat/completions") && method.equals("POST")) {
                generate(ex, body(ex), true);
            } else {
                throw new ApiError(404, "invalid_request_error", "not_found", "no route " + method + " " + path);
            }
        } catch (ApiError e) {
            sendError(ex, e);
        } catch (RuntimeException e) {
            sendError(ex, new ApiError(500, "server_error", null, e.toString()));
        } finally {
            ex.close();
        }
    }

    private static ObjectNode body(HttpExchange ex) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        JsonNode n;
        try {
            n = JSON.readTree(raw);
        } catch (IOException e) {
            throw ApiError.bad("request body is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (n == null || !n.isObject()) {
            throw ApiError.bad("request body must be a JSON object");
        }
        return (ObjectNode) n;
    }

    /** One parsed generation request: prompts (each gets n choices) and how to sample. */
    private record Parsed(List<int[]> prompts, int n, SamplingParams params, List<String> stop, int logprobs, boolean stream) {}

    private Parsed parse(ObjectNode b, boolean isChat) {
        String model = string(b, "model", null);
        if (model == null) {
            throw ApiError.bad("'model' is required");
        }
        if (!model.equals(modelId)) {
            throw new ApiError(404, "invalid_request_error", "model_not_found", "The model '" + model + "' does not exist; this server has '" + modelId + "'");
        }
        List<int[]> prompts = new ArrayList<>();
        if (isChat) {
            JsonNode msgs = b.get("messages");
            if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
                throw ApiError.bad("'messages' must be a non-empty array");
            }
            List<ChatMessage> conv = new ArrayList<>();
            for (JsonNode m : msgs) {
                if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw ApiError.bad("each message needs a string 'role' and a string 'content'");
                }
                conv.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            }
            prompts.add(chat.encode(conv, true).ids());
        } else {
            JsonNode p = b.get("prompt");
            if (p != null && p.isTextual()) {
                prompts.add(tok.encode(p.asText(), true, true));
            } else if (p != null && p.isArray() && !p.isEmpty()) {
                for (JsonNode e : p) {
                    if (!e.isTextual()) {
                        throw ApiError.bad("'prompt' must be a string or an array of strings");
                    }
                    prompts.add(tok.encode(e.asText(), true, true));
                }
            } else {
                throw ApiError.bad("'prompt' must be a string or an array of strings");
            }
        }
        int n = integer(b, "n", 1);
        if (n < 1 || n > 128) {
            throw ApiError.bad("'n' must be between 1 and 128, got " + n);
        }
        int maxTokens = integer(b, isChat && b.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                isChat ? defaultMaxTokens : 16);
        if (maxTokens < 0) {
            throw ApiError.bad("'max_tokens' must be >= 0, got " + maxTokens);
        }
        double temperature = number(b, "temperature", 1.0);
        double topP = number(b, "top_p", 1.0);
        if (temperature < 0 || temperature > 2) {
            throw ApiError.bad("'temperature' must be between 0 and 2, got " + temperature);
        }
        if (topP <= 0 || topP > 1) {
            throw ApiError.bad("'top_p' must be in (0, 1], got " + topP);
        }
        long seed;
        if (b.hasNonNull("seed")) {
            if (!b.get("seed").isIntegralNumber()) {
                throw ApiError.bad("'seed' must be an integer");
            }
            seed = b.get("seed").asLong();
        } else {
            synchronized (seeds) {
                seed = seeds.nextLong();
            }
        }
        List<String> stop = new ArrayList<>();
        JsonNode s = b.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) {
                stop.add(s.asText());
            } else if (s.isArray() && s.size() <= 4) {
                for (JsonNode e : s) {
                    if (!e.isTextual()) {
                        throw ApiError.bad("'stop' must be a string or an array of up to 4 strings");
                    }
                    stop.add(e.asText());
                }
            } else {
                throw ApiError.bad("'stop' must be a string or an array of up to 4 strings");
            }
        }
        int logprobs = -1;
        if (b.hasNonNull("logprobs")) {
            if (isChat) {
                throw ApiError.bad("'logprobs' is supported on /v1/completions only");
            }
            logprobs = integer(b, "logprobs", -1);
            if (logprobs < 0 || logprobs > 5) {
                throw ApiError.bad("'logprobs' must be between 0 and 5, got " + logprobs);
            }
        }
        boolean stream = b.has("stream") && bool(b, "stream");
        for (int[] p : prompts) {
            if (p.length + maxTokens > maxModelLen) {
                throw ApiError.bad("This model's maximum context length is " + maxModelLen + " tokens. However, you requested "
                        + (p.length + maxTokens) + " tokens (" + p.length + " in the prompt, " + maxTokens
                        + " in the completion). Please reduce the length of the prompt or max_tokens.");
            }
        }
        SamplingParams params = new SamplingParams(temperature, 0, topP, maxTokens, seed);
        for (int[] p : prompts) {
            SampleRequest r = new SampleRequest(p, n, params, tok.stopIds(), stop, logprobs);
            int need = engine.blocksNeeded(r);
            if (need > engine.capacityBlocks()) {
                throw ApiError.bad("the request needs " + need + " KV blocks of " + engine.blockSize() + " tokens (" + p.length
                        + " prompt tokens, " + maxTokens + " max_tokens, n " + n + "); the server's pool holds "
                        + engine.capacityBlocks() + " (start it with a larger --kv-blocks)");
            }
        }
        return new Parsed(prompts, n, params, stop, logprobs, stream);
    }

    private void generate(HttpExchange ex, ObjectNode b, boolean isChat) throws IOException {
        Parsed p = parse(b, isChat);
        String id = (isChat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        if (p.stream()) {
            stream(ex, p, id, isChat);
            return;
        }
        List<CompletableFuture<List<Completion>>> futures = new ArrayList<>();
        for (int[] prompt : p.prompts()) {
            CompletableFuture<List<Completion>> f = new CompletableFuture<>();
            engine.submit(new SampleRequest(prompt, p.n(), p.params(), tok.stopIds(), p.stop(), p.logprobs()),
                    new PagedEngine.RequestCallbacks() {
                        @Override
                        public void onDone(List<Completion> samples) {
                            f.complete(samples);
                        }

                        @Override
                        public void onError(RuntimeException e) {
                            f.completeExceptionally(e);
                        }
                    });
            futures.add(f);
        }
        ObjectNode o = JSON.createObjectNode().put("id", id).put("object", isChat ? "chat.completion" : "text_completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", modelId);
        ArrayNode choices = o.putArray("choices");
        long promptTokens = 0;
        long completionTokens = 0;
        int index = 0;
        for (int i = 0; i < futures.size(); i++) {
            List<Completion> cs;
            try {
                cs = futures.get(i).join();
            } catch (RuntimeException e) {
                throw new ApiError(500, "server_error", null, "generation failed: " + e.getMessage());
            }
            promptTokens += p.prompts().get(i).length;
            for (Completion c : cs) {
                ObjectNode ch = choices.addObject().put("index", index++);
                if (isChat) {
                    ch.putObject("message").put("role", "assistant").put("content", c.text());
                    ch.putNull("logprobs");
                } else {
                    ch.put("text", c.text());
                    if (c.logprobs() != null) {
                        ch.set("logprobs", logprobs(c));
                    } else {
                        ch.putNull("logprobs");
                    }
                }
                ch.put("finish_reason", c.finishReason());
                completionTokens += c.tokens().length;
            }
        }
        o.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        send(ex, 200, o);
    }

    private ObjectNode logprobs(Completion c) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode values = lp.putArray("token_logprobs");
        ArrayNode top = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int offset = 0;
        for (TokenLogprob t : c.logprobs()) {
            String piece = tok.decode(new int[] {t.token()}, false);
            tokens.add(piece);
            values.add(t.logprob());
            ObjectNode alt = top.addObject();
            for (int j = 0; j < t.topIds().length; j++) {
                alt.put(tok.decode(new int[] {t.topIds()[j]}, false), t.topLogprobs()[j]);
            }
            offsets.add(offset);
            offset += piece.length();
        }
        return lp;
    }

    /** What the engine thread hands the streaming thread. */
    private record Event(int choice, String delta, String finishReason, RuntimeException error, boolean promptDone) {}

    private void stream(HttpExchange ex, Parsed p, String id, boolean isChat) throws IOException {
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Set<Integer> stopIds = tok.stopIds();
        for (int pi = 0; pi < p.prompts().size(); pi++) {
            int base = pi * p.n();
            int[] emitted = new int[p.n()];       // characters already sent, per sample
            engine.submit(new SampleRequest(p.prompts().get(pi), p.n(), p.params(), stopIds, p.stop(), p.logprobs()),
                    new PagedEngine.RequestCallbacks() {
                        @Override
                        public void onToken(int sample, List<Integer> tokens, TokenLogprob lp) {
                            String safe = safePrefix(tokens, stopIds, p.stop());
                            if (safe.length() > emitted[sample]) {
                                events.add(new Event(base + sample, safe.substring(emitted[sample]), null, null, false));
                                emitted[sample] = safe.length();
                            }
                        }

                        @Override
                        public void onDone(List<Completion> samples) {
                            for (int i = 0; i < samples.size(); i++) {
                                String text = samples.get(i).text();
                                String rest = text.length() > emitted[i] ? text.substring(emitted[i]) : "";
                                events.add(new Event(base + i, rest, samples.get(i).finishReason(), null, false));
                            }
                            events.add(new Event(-1, null, null, null, true));
                        }

                        @Override
                        public void onError(RuntimeException e) {
                            events.add(new Event(-1, null, null, e, true));
                        }
                    });
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        long createdAt = System.currentTimeMillis() / 1000;
        if (isChat) {
            for (int i = 0; i < p.prompts().size() * p.n(); i++) {
                ObjectNode chunk = chunk(id, createdAt, true);
                ObjectNode ch = ((ArrayNode) chunk.get("choices")).addObject().put("index", i);
                ch.putObject("delta").put("role", "assistant").put("content", "");
                ch.putNull("finish_reason");
                write(out, chunk);
            }
        }
        int promptsLeft = p.prompts().size();
        while (promptsLeft > 0) {
            Event e;
            try {
                e = events.take();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
            if (e.error() != null) {
                ObjectNode err = JSON.createObjectNode();
                err.putObject("error").put("message", "generation failed: " + e.error().getMessage()).put("type", "server_error");
                write(out, err);
                break;
            }
            if (e.promptDone()) {
                promptsLeft--;
                continue;
            }
            if (e.delta().isEmpty() && e.finishReason() == null) {
                continue;
            }
            ObjectNode chunk = chunk(id, createdAt, isChat);
            ObjectNode ch = ((ArrayNode) chunk.get("choices")).addObject().put("index", e.choice());
            if (isChat) {
                ObjectNode delta = ch.putObject("delta");
                if (!e.delta().isEmpty()) {
                    delta.put("content", e.delta());
                }
            } else {
                ch.put("text", e.delta());
                ch.putNull("logprobs");
            }
            if (e.finishReason() == null) {
                ch.putNull("finish_reason");
            } else {
                ch.put("finish_reason", e.finishReason());
            }
            write(out, chunk);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * The text generated so far that is safe to send: without a final stop token, and holding back an
     * unfinished character or a tail that could still become a stop string.
     */
    String safePrefix(List<Integer> tokens, Set<Integer> stopIds, List<String> stop) {
        int n = tokens.size();
        if (n > 0 && stopIds.contains(tokens.get(n - 1))) {
            n--;
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = tokens.get(i);
        }
        String text = tok.decode(ids, true);
        int cut = text.length();
        while (cut > 0 && text.charAt(cut - 1) == '\uFFFD') {
            cut--;                                    // a multi-byte character still being spelled out
        }
        for (String s : stop) {
            int at = text.indexOf(s);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
            for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    cut = Math.min(cut, text.length() - k);
                    break;
                }
            }
        }
        return text.substring(0, cut);
    }

    private ObjectNode chunk(String id, long createdAt, boolean isChat) {
        ObjectNode o = JSON.createObjectNode().put("id", id).put("object", isChat ? "chat.completion.chunk" : "text_completion")
                .put("created", createdAt).put("model", modelId);
        o.putArray("choices");
        return o;
    }

    private static void write(OutputStream out, ObjectNode o) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(o) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange ex, int status, ObjectNode o) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(o);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void sendError(HttpExchange ex, ApiError e) {
        try {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode err = o.putObject("error").put("message", e.getMessage()).put("type", e.type);
            err.putNull("param");
            if (e.code == null) {
                err.putNull("code");
            } else {
                err.put("code", e.code);
            }
            send(ex, e.status, o);
        } catch (IOException | RuntimeException ignored) {
            // the client went away; nothing left to tell it
        }
    }

    private static String string(ObjectNode b, String key, String dflt) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ApiError.bad("'" + key + "' must be a string");
        }
        return v.asText();
    }

    private static int integer(ObjectNode b, String key, int dflt) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiError.bad("'" + key + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static double number(ObjectNode b, String key, double dflt) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw ApiError.bad("'" + key + "' must be a number, got " + v);
        }
        return v.asDouble();
    }

    private static boolean bool(ObjectNode b, String key) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiError.bad("'" + key + "' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    @Override
    public void close() {
        http.stop(0);
        workers.shutdownNow();
    }
}
