package dev.herd.sampling.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TestPaths;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A non-streamed request whose client hangs up is cancelled: it does not hold the batch against the next request,
 * and its KV blocks go back to the pool. The engine's batch is exactly as wide as the big request's n, so a
 * request left running would make the next one wait for all of it.
 */
class HungUpAnswerTest {

    static final int N = 32;
    static final int TOKENS = 400;      // long enough that the hang-up (seen within ~1.5 s) comes early in it on a fast machine too

    static LlamaModel model;
    static LlamaTokenizer tok;
    static EngineLoop engine;
    static OpenAiServer server;
    static double fullSeconds;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 21, 0.3, Device.cpu());
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        int blocksPerSequence = (64 + TOKENS) / 16 + 1;
        engine = new EngineLoop(model, new PagedEngine.Options(N, 16, N * blocksPerSequence + 16, true),
                ids -> tok.decode(ids, true));
        server = new OpenAiServer(engine, tok, "tiny", "127.0.0.1", 0, null, 512, 32, 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        engine.close();
        tok.close();
        model.close();
    }

    static String big(String path, int seed) {
        String input = path.contains("chat") ? "\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a long story\"}]"
                : "\"prompt\": \"Tell me a long story\"";
        return "{\"model\": \"tiny\", " + input + ", \"n\": " + N + ", \"max_tokens\": " + TOKENS
                + ", \"temperature\": 1.0, \"seed\": " + seed + "}";
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDroppedCompletionNeitherDelaysTheNextRequestNorKeepsItsBlocks() throws Exception {
        dropAndFollow("/v1/completions");
    }

    @Test
    void aDroppedChatCompletionNeitherDelaysTheNextRequestNorKeepsItsBlocks() throws Exception {
        dropAndFollow("/v1/chat/completions");
    }

    /** The big request run to its end and answered whole (spaces before the JSON are allowed): seconds it takes. */
    private static synchronized double fullDuration() throws Exception {
        if (fullSeconds == 0) {
            assertEquals(200, post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"warm\", \"max_tokens\": 2}").statusCode());
            long t = System.nanoTime();
            HttpResponse<String> whole = post("/v1/completions", big("/v1/completions", 1));
            fullSeconds = (System.nanoTime() - t) / 1e9;
            assertEquals(200, whole.statusCode(), whole.body());
            assertEquals(N, JSON.readTree(whole.body()).get("choices").size());
            assertEquals(0, engine.usedBlocks(), "a finished request leaves no blocks behind");
        }
        return fullSeconds;
    }

    private void dropAndFollow(String path) throws Exception {
        double full = fullDuration();
        long before = engine.generatedTokens();
        String body = big(path, 2);
        try (Socket client = new Socket("127.0.0.1", server.port())) {
            client.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            client.getOutputStream().flush();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (engine.generatedTokens() - before < N && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(engine.generatedTokens() - before >= N, "the big request is decoding");
        }   // the client hangs up while its request decodes

        long dropped = System.nanoTime();
        HttpResponse<String> next = post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"next\", \"max_tokens\": 2}");
        double waited = (System.nanoTime() - dropped) / 1e9;
        assertEquals(200, next.statusCode(), next.body());
        JsonNode answer = JSON.readTree(next.body());
        assertEquals(1, answer.get("choices").size());
        assertTrue(waited < full / 2, String.format("the next request waited %.1f s; the dropped one takes %.1f s whole",
                waited, full));

        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!engine.idle() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(engine.idle(), "the dropped request's sequences left the batch");
        assertEquals(0, engine.usedBlocks(), "the dropped request's KV blocks are back in the pool");
        long generated = engine.generatedTokens() - before;
        assertTrue(generated < (long) N * TOKENS / 2, "decoding stopped early: " + generated + " of " + N * TOKENS + " tokens");
        System.out.printf("%s: whole %.1f s, next request after the drop %.2f s, %d of %d tokens decoded%n", path, full,
                waited, generated, N * TOKENS);
    }
}
