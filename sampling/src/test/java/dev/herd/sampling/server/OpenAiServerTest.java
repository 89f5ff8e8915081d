package dev.herd.sampling.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TestPaths;
import dev.herd.llama.generate.Generator;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpenAiServerTest {

    static LlamaModel model;
    static LlamaTokenizer tok;
    static EngineLoop engine;
    static OpenAiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 21, 0.3, Device.cpu());
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        engine = new EngineLoop(model, new PagedEngine.Options(8, 16, 64, true), ids -> tok.decode(ids, true));
        server = new OpenAiServer(engine, tok, "tiny", "127.0.0.1", 0, "sekret", 512, 32, 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        engine.close();
        tok.close();
        model.close();
    }

    static HttpResponse<String> post(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode ok(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body, "sekret");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    @Test
    void greedyCompletionIsWhatTheDenseGeneratorProducesWithLogprobs() throws Exception {
        JsonNode r = ok("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"The sky is\", \"max_tokens\": 6, "
                + "\"temperature\": 0, \"logprobs\": 2}");
        int[] prompt = tok.encode("The sky is", true, true);
        int[] expected = new Generator(model).generate(List.of(prompt), List.of(SamplingParams.greedy(6)), tok.stopIds()).get(0);
        JsonNode choice = r.get("choices").get(0);
        boolean stopped = tok.stopIds().contains(expected[expected.length - 1]);
        int[] text = stopped ? java.util.Arrays.copyOf(expected, expected.length - 1) : expected;
        assertEquals(tok.decode(text, true), choice.get("text").asText());
        assertEquals(stopped ? "stop" : "length", choice.get("finish_reason").asText());
        assertEquals(prompt.length, r.get("usage").get("prompt_tokens").asInt());
        JsonNode lp = choice.get("logprobs");
        assertEquals(expected.length, lp.get("token_logprobs").size());
        for (int i = 0; i < expected.length; i++) {
            double v = lp.get("token_logprobs").get(i).asDouble();
            assertTrue(v <= 0);
            // Greedy: the drawn token is the most likely one, so its log-prob is the best alternative's.
            double best = Double.NEGATIVE_INFINITY;
            for (JsonNode alt : (Iterable<JsonNode>) lp.get("top_logprobs").get(i)::elements) {
                best = Math.max(best, alt.asDouble());
            }
            assertEquals(best, v, 1e-6);
            assertEquals(2, lp.get("top_logprobs").get(i).size());
        }
        // Against a log-softmax computed here from one dense forward over prompt + answer (not the engine's path).
        int[] all = new int[prompt.length + expected.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(expected, 0, all, prompt.length, expected.length);
        try (ai.djl.ndarray.NDManager step = model.newStepManager()) {
            long[] ids = java.util.Arrays.stream(all).asLongStream().toArray();
            long[] pos = java.util.stream.LongStream.range(0, ids.length).toArray();
            float[] logits = model.forward(dev.herd.llama.TokenBatch.of(step, 1, ids.length, ids, pos, new int[ids.length])).toFloatArray();
            int vocab = model.config().vocabSize();
            for (int i = 0; i < expected.length; i++) {
                int row = (prompt.length - 1 + i) * vocab;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, logits[row + v]);
                }
                double sum = 0;
                for (int v = 0; v < vocab; v++) {
                    sum += Math.exp(logits[row + v] - max);
                }
                double want = logits[row + expected[i]] - max - Math.log(sum);
                assertEquals(want, lp.get("token_logprobs").get(i).asDouble(), 1e-4, "token " + i + " log-prob");
            }
        }
    }

    @Test
    void aStreamedCompletionCarriesTheSameLogprobsAsTheWholeAnswer() throws Exception {
        String req = "{\"model\": \"tiny\", \"prompt\": \"Once upon a\", \"max_tokens\": 8, \"temperature\": 0, \"logprobs\": 2";
        JsonNode whole = ok("/v1/completions", req + "}").get("choices").get(0);
        HttpResponse<String> s = post("/v1/completions", req + ", \"stream\": true}", "sekret");
        assertEquals(200, s.statusCode(), s.body());
        StringBuilder text = new StringBuilder();
        List<String> tokens = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (String line : s.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                continue;
            }
            JsonNode c = JSON.readTree(line.substring(6)).get("choices").get(0);
            JsonNode lp = c.get("logprobs");
            if (lp != null && !lp.isNull()) {
                for (int i = 0; i < lp.get("tokens").size(); i++) {
                    assertEquals(text.length() + tokensLength(lp, i), lp.get("text_offset").get(i).asInt(), "offsets run on");
                    tokens.add(lp.get("tokens").get(i).asText());
                    values.add(lp.get("token_logprobs").get(i).asDouble());
                }
            }
            text.append(c.get("text").asText());
        }
        assertEquals(whole.get("text").asText(), text.toString());
        List<String> wantTokens = new ArrayList<>();
        List<Double> wantValues = new ArrayList<>();
        whole.get("logprobs").get("tokens").forEach(t -> wantTokens.add(t.asText()));
        whole.get("logprobs").get("token_logprobs").forEach(v -> wantValues.add(v.asDouble()));
        assertEquals(wantTokens, tokens);
        assertEquals(wantValues, values);
    }

    @Test
    void aStreamWhoseClientHangsUpIsCancelledAndItsSequencesFreed() throws Exception {
        assertTrue(engine.idle());
        long before = engine.generatedTokens();
        String body = "{\"model\": \"tiny\", \"prompt\": \"Tell me a long story\", \"n\": 4, \"max_tokens\": 200, "
                + "\"temperature\": 1.0, \"seed\": 3, \"stream\": true}";
        try (java.net.Socket client = new java.net.Socket("127.0.0.1", server.port())) {
            client.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sekret\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            client.getOutputStream().flush();
            byte[] first = new byte[64];
            assertTrue(client.getInputStream().read(first) > 0, "the stream started");
        }   // the client hangs up after its first bytes
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!engine.idle() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(engine.idle(), "the dropped request's sequences were freed");
        long generated = engine.generatedTokens() - before;
        assertTrue(generated < 4 * 200 / 2, "decoding stopped early: " + generated + " of 800 tokens");
        assertEquals(1, ok("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"next\", \"max_tokens\": 2}").get("choices").size());
    }

    /** Characters of the chunk's tokens before token {@code i}. */
    private static int tokensLength(JsonNode lp, int i) {
        int n = 0;
        for (int j = 0; j < i; j++) {
            n += lp.get("tokens").get(j).asText().length();
        }
        return n;
    }

    @Test
    void chatWithNChoicesAndStreamingGiveTheSameTextsForTheSameSeed() throws Exception {
        String req = "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}], \"n\": 2, "
                + "\"temperature\": 1.0, \"max_tokens\": 8, \"seed\": 5";
        JsonNode whole = ok("/v1/chat/completions", req + "}");
        assertEquals("chat.completion", whole.get("object").asText());
        assertEquals(2, whole.get("choices").size());
        assertEquals("assistant", whole.get("choices").get(0).get("message").get("role").asText());
        HttpResponse<String> s = post("/v1/chat/completions", req + ", \"stream\": true}", "sekret");
        assertEquals(200, s.statusCode());
        assertTrue(s.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        String[] texts = {"", ""};
        String[] finish = new String[2];
        List<String> events = new ArrayList<>();
        for (String line : s.body().split("\n")) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            events.add(data);
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonNode c = JSON.readTree(data).get("choices").get(0);
            int i = c.get("index").asInt();
            texts[i] += c.get("delta").path("content").asText("");
            if (!c.get("finish_reason").isNull()) {
                finish[i] = c.get("finish_reason").asText();
            }
        }
        assertEquals("[DONE]", events.get(events.size() - 1));
        for (int i = 0; i < 2; i++) {
            assertEquals(whole.get("choices").get(i).get("message").get("content").asText(), texts[i]);
            assertEquals(whole.get("choices").get(i).get("finish_reason").asText(), finish[i]);
        }
        assertTrue(events.size() > 4, "tokens arrive as separate events");
    }

    @Test
    void aBodyOverTheLimitGets413UnreadAndTooManySequencesA400() throws Exception {
        try (OpenAiServer small = new OpenAiServer(engine, tok, "tiny", "127.0.0.1", 0, null, 512, 32, 0,
                new OpenAiServer.Limits(4096, 4))) {
            String pad = "x".repeat(8000);
            HttpResponse<String> big = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": \"" + pad + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(413, big.statusCode(), big.body());
            assertTrue(JSON.readTree(big.body()).get("error").get("message").asText().contains("4096"), big.body());
            HttpResponse<String> many = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": [\"a\", \"b\"], \"n\": 3, "
                            + "\"max_tokens\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, many.statusCode(), many.body());
            assertTrue(JSON.readTree(many.body()).get("error").get("message").asText().contains("6 sequences"), many.body());
            HttpResponse<String> fits = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": [\"a\", \"b\"], \"n\": 2, "
                            + "\"max_tokens\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, fits.statusCode(), fits.body());
        }
    }

    @Test
    void serveOnABusyPortIsOneLineOfBadInput(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path folder = dir.resolve("m");
        dev.herd.llama.ModelFolder.save(model, folder, TestPaths.tokenizer());
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dev.herd.llama.cli.CliRun r = dev.herd.llama.cli.CliRun.of(new dev.herd.sampling.cli.ServeCommand(), "--model",
                    folder.toString(), "--port", String.valueOf(busy.getLocalPort()), "--kv-blocks", "16");
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("cannot listen") && !r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerKeepsServing() throws Exception {
        assertEquals(401, post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"x\"}", null).statusCode());
        assertEquals(401, post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"x\"}", "wrong").statusCode());
        HttpResponse<String> malformed = post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": ", "sekret");
        assertEquals(400, malformed.statusCode());
        assertTrue(JSON.readTree(malformed.body()).get("error").get("message").asText().contains("JSON"));
        assertEquals(400, post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"x\", \"max_tokens\": \"ten\"}", "sekret").statusCode());
        HttpResponse<String> tooLong = post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"x\", \"max_tokens\": 600}", "sekret");
        assertEquals(400, tooLong.statusCode());
        String msg = JSON.readTree(tooLong.body()).get("error").get("message").asText();
        assertTrue(msg.contains("512") && msg.contains("600"), msg);
        HttpResponse<String> unknown = post("/v1/chat/completions", "{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", "sekret");
        assertEquals(404, unknown.statusCode());
        assertEquals("model_not_found", JSON.readTree(unknown.body()).get("error").get("code").asText());
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models"))
                .header("Authorization", "Bearer sekret").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("tiny", JSON.readTree(models.body()).get("data").get(0).get("id").asText());
        assertEquals(1, ok("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"still here\", \"max_tokens\": 2}").get("choices").size());
    }

    @Test
    void concurrentRequestsShareTheBatchAndEachGetsItsOwnAnswer() throws Exception {
        List<Thread> threads = new ArrayList<>();
        String[] got = new String[12];
        for (int i = 0; i < got.length; i++) {
            int k = i;
            threads.add(new Thread(() -> {
                try {
                    got[k] = ok("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"Number " + k + "\", \"max_tokens\": 5, "
                            + "\"temperature\": 0}").get("choices").get(0).get("text").asText();
                } catch (Exception e) {
                    got[k] = "ERROR " + e;
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        for (int i = 0; i < got.length; i++) {
            int[] prompt = tok.encode("Number " + i, true, true);
            int[] alone = new Generator(model).generate(List.of(prompt), List.of(SamplingParams.greedy(5)), tok.stopIds()).get(0);
            if (alone.length > 0 && tok.stopIds().contains(alone[alone.length - 1])) {
                alone = java.util.Arrays.copyOf(alone, alone.length - 1);
            }
            assertEquals(tok.decode(alone, true), got[i], "request " + i);
        }
    }

    @Test
    void streamedTextHoldsBackWhatCouldStillBecomeAStopString() {
        int[] ids = tok.encode("Hello wor", false, false);
        List<Integer> tokens = new ArrayList<>();
        for (int id : ids) {
            tokens.add(id);
        }
        assertEquals("Hello ", new StreamText(tok).safePrefix(tokens, Set.of(), List.of("world")));
        assertEquals("Hello wor", new StreamText(tok).safePrefix(tokens, Set.of(), List.of("xyz")));
    }
}
