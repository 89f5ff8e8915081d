package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible client against a local server that speaks the protocol: one character per token, each
 * with log-probability −0.1 × (1 + offset mod 3), and a server that fails its first requests with 503.
 */
class OpenAiModelTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static HttpServer server(AtomicInteger failuresLeft, AtomicInteger requests) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        s.createContext("/v1/models", ex -> reply(ex, 200, "{\"data\": [{\"id\": \"tiny\"}]}"));
        s.createContext("/v1/completions", ex -> {
            requests.incrementAndGet();
            if (failuresLeft.getAndDecrement() > 0) {
                reply(ex, 503, "{\"error\": \"busy\"}");
                return;
            }
            JsonNode req = JSON.readTree(ex.getRequestBody());
            String prompt = req.get("prompt").asText();
            ObjectNode choice = JSON.createObjectNode();
            if (req.path("echo").asBoolean()) {
                ArrayNode offsets = choice.putObject("logprobs").putArray("text_offset");
                ArrayNode lps = ((ObjectNode) choice.get("logprobs")).putArray("token_logprobs");
                for (int i = 0; i <= prompt.length(); i++) {    // the prompt's characters, then one generated token
                    offsets.add(i);
                    if (i == 0) {
                        lps.addNull();
                    } else {
                        lps.add(-0.1 * (1 + i % 3));
                    }
                }
                choice.put("text", prompt + "x");
            } else {
                choice.put("text", "The answer is 42.\n\nQuestion: next");
            }
            ObjectNode body = JSON.createObjectNode();
            body.putArray("choices").add(choice);
            reply(ex, 200, body.toString());
        });
        s.createContext("/v1/chat/completions", ex -> {
            JsonNode req = JSON.readTree(ex.getRequestBody());
            String last = req.get("messages").get(req.get("messages").size() - 1).get("content").asText();
            reply(ex, 200, "{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"echo: " + last + "\"}}]}");
        });
        s.start();
        return s;
    }

    static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Test
    void logLikelihoodsGenerationsAndRetries() throws Exception {
        AtomicInteger failures = new AtomicInteger(2);
        AtomicInteger requests = new AtomicInteger();
        HttpServer s = server(failures, requests);
        String url = "http://127.0.0.1:" + s.getAddress().getPort();
        try (OpenAiModel m = new OpenAiModel(url, null, null, 4, 3)) {
            assertTrue(m.name().contains("tiny"));
            // context "ab" (offsets 0-1), continuation "cd" (offsets 2-3): −0.1·(1+2%3) − 0.1·(1+3%3) = −0.3 − 0.1
            double[] ll = m.logLikelihoods(List.of(new EvalModel.Continuation("ab", "cd"), new EvalModel.Continuation("a", "b")));
            assertEquals(-0.4, ll[0], 1e-9);
            assertEquals(-0.2, ll[1], 1e-9);
            assertTrue(requests.get() >= 4, "two 503s were retried");
            List<String> gen = m.generate(List.of(
                    new EvalModel.Generation("Question: 6*7?\nAnswer:", null, List.of("Question:"), 32, 0, 0),
                    new EvalModel.Generation(null, List.of(ChatMessage.user("hi")), List.of(), 8, 0, 0)));
            assertEquals("The answer is 42.\n\n", gen.get(0));
            assertEquals("echo: hi", gen.get(1));
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aDownEndpointIsOneClearError() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> new OpenAiModel("http://127.0.0.1:" + port, null, "m", 1, 1)
                        .generate(List.of(new EvalModel.Generation("x", null, List.of(), 4, 0, 0))));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("no answer after 2 attempts"),
                e.getMessage());
    }
}
