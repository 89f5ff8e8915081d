package dev.herd.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OpenAiClientTest {

    static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Test
    void urlsAreHttpOrHttps() {
        assertTrue(OpenAiClient.isUrl("http://localhost:8000/v1"));
        assertTrue(OpenAiClient.isUrl("https://api.example.com"));
        assertFalse(OpenAiClient.isUrl("models/tiny"));
        assertFalse(OpenAiClient.isUrl("httpdocs/model"));
    }

    @Test
    void retriesBusyAnswersSendsTheKeyAndFailsAtOnceOnAClientError() throws Exception {
        AtomicInteger busy = new AtomicInteger(1);
        ConcurrentLinkedQueue<String> keys = new ConcurrentLinkedQueue<>();
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/v1/chat/completions", ex -> {
            keys.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            if (busy.getAndDecrement() > 0) {
                reply(ex, 429, "slow down");
                return;
            }
            reply(ex, 200, "{\"id\": \"x\", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", "
                    + "\"content\": \"hi\"}, \"finish_reason\": \"stop\"}], \"system_fingerprint\": \"fp\"}");
        });
        s.createContext("/v1/completions", ex -> reply(ex, 400, "{\"error\": {\"message\": \"bad\"}}"));
        s.start();
        String url = "http://127.0.0.1:" + s.getAddress().getPort() + "/";
        try (OpenAiClient c = new OpenAiClient(url, "k", 2, 2)) {
            assertTrue(c.base().endsWith("/v1"));
            List<Callable<String>> calls = List.of(
                    () -> c.chat(ChatCompletionRequest.sample("m", List.of(ChatMessage.user("hi")), 4, 0, 1, List.of())).firstText());
            assertEquals(List.of("hi"), c.all(calls));
            assertEquals(2, keys.size(), "the 429 was retried");
            assertTrue(keys.stream().allMatch("Bearer k"::equals));
            HerdInputException e = assertThrows(HerdInputException.class,
                    () -> c.complete(CompletionRequest.sample("m", "x", 4, 0, 1, List.of())));
            assertTrue(e.getMessage().contains("/v1/completions: HTTP 400"), e.getMessage());
        } finally {
            s.stop(0);
        }
    }
}
