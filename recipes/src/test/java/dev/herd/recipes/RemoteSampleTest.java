package dev.herd.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.SampleCommand;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteSampleTest {

    @Test
    void sampleDrawsFromAnOpenAiCompatibleServerWithRetries(@TempDir Path tmp) throws Exception {
        // A stand-in for vLLM: answers "4" to chat requests with an even seed, "5" otherwise; the first
        // request gets a 503 to exercise the retry.
        ObjectMapper json = new ObjectMapper();
        AtomicInteger calls = new AtomicInteger();
        ConcurrentLinkedQueue<JsonNode> bodies = new ConcurrentLinkedQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode body = json.readTree(ex.getRequestBody());
            byte[] out;
            int code = 200;
            if (calls.getAndIncrement() == 0) {
                code = 503;
                out = "busy".getBytes(StandardCharsets.UTF_8);
            } else {
                bodies.add(body);
                String text = body.get("seed").asLong() % 2 == 0 ? "4" : "5";
                out = json.writeValueAsBytes(json.createObjectNode().set("choices", json.createArrayNode()
                        .add(json.createObjectNode().set("message", json.createObjectNode().put("content", text)))));
            }
            ex.sendResponseHeaders(code, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        try {
            Path prompts = tmp.resolve("p.jsonl");
            Files.writeString(prompts, "{\"id\": \"q1\", \"messages\": [{\"role\": \"user\", \"content\": \"2 + 2?\"}], \"answer\": \"4\"}\n"
                    + "{\"id\": \"q2\", \"messages\": [{\"role\": \"user\", \"content\": \"Two plus two?\"}], \"answer\": \"4\"}\n");
            Path out = tmp.resolve("s.jsonl");
            HerdCli.registerScorers();
            CliRun run = CliRun.of(new SampleCommand(), "--model", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                    "--model-name", "teacher-405b", "--prompts", prompts.toString(), "--n", "6", "--reward", "verify:numeric",
                    "--system-prompt", "Answer with a number.", "--max-new-tokens", "8", "--concurrency", "4", "--out", out.toString());
            assertEquals(0, run.code(), run.err() + run.notes());
            List<String> lines = Files.readAllLines(out);
            assertEquals(12, lines.size());
            int right = 0;
            for (String l : lines) {
                JsonNode n = json.readTree(l);
                right += n.get("score").asDouble() == (n.get("response").asText().equals("4") ? 1.0 : 0.0) ? 1 : 0;
            }
            assertEquals(12, right, "every sample scored by the verifier");
            assertEquals(12, bodies.size());
            assertEquals(13, calls.get(), "the 503 was retried");
            JsonNode first = bodies.peek();
            assertEquals("teacher-405b", first.get("model").asText());
            assertEquals("system", first.get("messages").get(0).get("role").asText());
            assertEquals(8, first.get("max_tokens").asInt());
            assertTrue(bodies.stream().map(b -> b.get("seed").asLong()).distinct().count() == 12, "one seed per sample");
        } finally {
            server.stop(0);
        }
    }
}
