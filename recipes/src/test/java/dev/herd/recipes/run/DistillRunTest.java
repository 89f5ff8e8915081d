package dev.herd.recipes.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.herd.datasets.Store;
import dev.herd.llama.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distillation from a teacher behind an OpenAI-compatible API (a stand-in for a 405B on vLLM that answers every
 * synthetic question right) into a tiny random student.
 */
class DistillRunTest {

    @TempDir
    Path tmp;

    @Test
    void studentLearnsFromAnEndpointTeacherAndAllThreeAreScored() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path work = tmp.resolve("work");
        Map<String, String> answers = new HashMap<>();
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode body = json.readTree(ex.getRequestBody());
            calls.incrementAndGet();
            synchronized (answers) {
                if (answers.isEmpty()) {
                    // The recipe has written its synthetic data by the time the teacher is first asked.
                    for (String f : List.of("prompts.jsonl", "eval.jsonl")) {
                        for (String line : Files.readAllLines(work.resolve("data").resolve(f))) {
                            JsonNode n = json.readTree(line);
                            String a = n.get("answer").asText();
                            answers.put(n.get("messages").get(0).get("content").asText(),
                                    n.get("verifier").asText().equals("numeric") ? "The answer is " + a + "." : a);
                        }
                    }
                }
            }
            JsonNode msgs = body.get("messages");
            String q = msgs.get(msgs.size() - 1).get("content").asText();
            byte[] out = json.writeValueAsBytes(json.createObjectNode().set("choices", json.createArrayNode()
                    .add(json.createObjectNode().set("message", json.createObjectNode()
                            .put("content", answers.getOrDefault(q, "I do not know."))))));
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            Path recipe = tmp.resolve("distill.json");
            Files.writeString(recipe, """
                    {
                      "name": "distill-test", "type": "distill",
                      "teacher": {"url": "%s", "model": "teacher-405b"},
                      "student": {"init": {"hidden": 16, "layers": 1, "heads": 2, "kv-heads": 1, "intermediate": 32, "tokenizer": "%s"}},
                      "data": {"synth": {"sft": 0, "prompts": 10, "preferences": 0, "eval": 10}},
                      "eval": {"tasks": ["custom:{data}/eval.jsonl"], "batch": 10},
                      "stages": {
                        "sample": {"n": 2, "max-new-tokens": 6, "reward": "verify:auto"},
                        "sft": {"lr": 0.01, "max-steps": 3, "batch-size": 4, "max-seq-len": 96},
                        "dpo": {"max-steps": 2, "batch-size": 2, "max-seq-len": 96}
                      }
                    }
                    """.formatted(url, TestPaths.tokenizer().toAbsolutePath()));
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            new RecipeRunner(Recipe.load(recipe, work, null), "cpu", new PrintStream(text, true, StandardCharsets.UTF_8)).run();
            String printed = text.toString(StandardCharsets.UTF_8);

            try (Store s = Store.openExisting(work.resolve("herd.duckdb"))) {
                // The teacher answered 10 prompts twice, all verified right; the best of each became the student's data.
                assertEquals(20, s.count("SELECT count(*) FROM samples WHERE model = 'teacher-405b@" + url + "'"));
                assertEquals(10, s.count("SELECT count(*) FROM sft WHERE origin = 'rejection_sampling' AND round = 1"));
                assertEquals(10, s.count("SELECT count(*) FROM sft WHERE sample_id IN (SELECT id FROM samples WHERE model = ?)",
                        "teacher-405b@" + url));
                // A random student answers wrong, so every prompt gives a teacher-best vs student-worst pair.
                assertEquals(10, s.count("SELECT count(*) FROM preferences WHERE source = 'distill'"));
                JsonNode report = RoundTable.read(s).toJson();
                Map<String, Double> scores = new HashMap<>();
                int dev = RecipeRunTest.devItems(work.resolve("data/eval.jsonl"));
                for (JsonNode row : report.get("rounds")) {
                    String split = row.get("split").asText();
                    scores.put(row.get("round").asInt() + ":" + row.get("stage").asText() + "@" + split, row.get("score").asDouble());
                    assertEquals(split.equals("dev") ? dev : 10 - dev, row.get("n").asInt(), row.toString());
                }
                // Start and teacher are scored on the test split only; the candidates on dev (to choose) and test.
                assertEquals(Set.of("0:start@test", "0:teacher@test", "1:sft@dev", "1:dpo@dev", "1:sft@test", "1:dpo@test"), scores.keySet());
                assertEquals(0.0, scores.get("0:start@test"));
                assertEquals(1.0, scores.get("0:teacher@test"));
            }
            assertTrue(printed.contains("round 0 teacher"), printed);
            // The teacher scores 1.0, so the share the table states is the student's test score itself.
            double student;
            try (Store s = Store.openExisting(work.resolve("herd.duckdb"))) {
                student = RoundTable.read(s).toJson().get("mechanisms").get(1).get("best_test").asDouble();
            }
            assertTrue(printed.contains(String.format("reaches %.0f%% of the teacher's score", 100 * student)), printed);
            int testItems = 10 - RecipeRunTest.devItems(work.resolve("data/eval.jsonl"));
            assertTrue(calls.get() >= 20 + testItems, "samples and the teacher's test evaluation went to the endpoint: " + calls.get());
        } finally {
            server.stop(0);
        }
    }
}
