package dev.herd.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.cli.SampleCommand;
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

    @Test
    void theEvalsClientAndHerdSampleTalkToHerdServe(@TempDir Path tmp) throws Exception {
        // A real server over a tiny model, not a stand-in.
        try (dev.herd.llama.LlamaModel model = dev.herd.llama.LlamaModel.random(
                     dev.herd.llama.LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 3, 0.3, ai.djl.Device.cpu());
             dev.herd.llama.tokenizer.LlamaTokenizer tok = dev.herd.llama.tokenizer.LlamaTokenizer.load(dev.herd.llama.TestPaths.tokenizer());
             dev.herd.sampling.engine.EngineLoop engine = new dev.herd.sampling.engine.EngineLoop(model,
                     new dev.herd.sampling.engine.PagedEngine.Options(8, 16, 64, true), ids -> tok.decode(ids, true));
             dev.herd.sampling.server.OpenAiServer server = new dev.herd.sampling.server.OpenAiServer(engine, tok, "tiny", "127.0.0.1", 0, null,
                     512, 16, 0)) {
            String url = "http://127.0.0.1:" + server.port() + "/v1";
            try (dev.herd.evals.OpenAiModel client = new dev.herd.evals.OpenAiModel(url, null, "tiny", 4, 1)) {
                List<String> out = client.generate(List.of(
                        new dev.herd.evals.EvalModel.Generation("Once upon", null, List.of(), 4, 0, 1),
                        new dev.herd.evals.EvalModel.Generation(null, List.of(dev.herd.llama.chat.ChatMessage.user("Hi")), List.of(), 4, 0, 1)));
                assertEquals(2, out.size());
                // Greedy through the server equals greedy in-process.
                int[] prompt = tok.encode("Once upon", true, true);
                int[] ids = new dev.herd.llama.generate.Generator(model).generate(List.of(prompt),
                        List.of(dev.herd.llama.generate.SamplingParams.greedy(4)), tok.stopIds()).get(0);
                if (ids.length > 0 && tok.stopIds().contains(ids[ids.length - 1])) {
                    ids = java.util.Arrays.copyOf(ids, ids.length - 1);
                }
                assertEquals(tok.decode(ids, true), out.get(0));
            }
            Path prompts = tmp.resolve("p.jsonl");
            Files.writeString(prompts, "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"Name a colour.\"}]}\n");
            Path out = tmp.resolve("s.jsonl");
            CliRun run = CliRun.of(new SampleCommand(), "--model", url, "--model-name", "tiny", "--prompts", prompts.toString(),
                    "--n", "3", "--max-new-tokens", "4", "--out", out.toString());
            assertEquals(0, run.code(), run.err() + run.notes());
            assertEquals(3, Files.readAllLines(out).size());
        }
    }
}
