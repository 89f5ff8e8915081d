package dev.herd.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.TestPaths;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.cli.SampleCommand;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd sample --reward verify:ifeval}: IFEval prompts imported in their own layout, answered by a stand-in
 * teacher, each sample scored 1 exactly when it follows all of its prompt's instructions, and only such a sample
 * kept as the SFT example.
 */
class IfEvalSampleTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Even seeds: "\"Thou shalt see Kyoto\"" (no comma, in quotes); odd seeds: "Well, see Kyoto" (neither). */
    static HttpServer teacher() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            String text = body.get("seed").asLong() % 2 == 0 ? "\"Thou shalt see Kyoto\"" : "Well, see Kyoto";
            byte[] out = JSON.writeValueAsBytes(JSON.createObjectNode().set("choices", JSON.createArrayNode()
                    .add(JSON.createObjectNode().set("message", JSON.createObjectNode().put("content", text)))));
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        return server;
    }

    /** IFEval rows 1001 (no commas) and 219 (wrap in double quotes), as the benchmark file has them. */
    static Path twoIfEvalRows(Path tmp) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(TestPaths.shared().resolve("benchmarks/ifeval/input_data.jsonl"))) {
            String key = JSON.readTree(line).get("key").asText();
            if (key.equals("1001") || key.equals("219")) {
                sb.append(line).append('\n');
            }
        }
        Path p = tmp.resolve("ifeval-two.jsonl");
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test
    void storedIfEvalPromptsAreVerifiedAndOnlyCompliantSamplesKept(@TempDir Path tmp) throws Exception {
        Path db = tmp.resolve("s.duckdb");
        try (Store store = Store.open(db)) {
            assertEquals(2, new Importer(store).importFiles(Kind.PROMPTS, List.of(twoIfEvalRows(tmp))));
        }
        HttpServer server = teacher();
        try {
            // With --round the round's pass rates are measured too (verify:auto's kinds): IFEval prompts are left out
            // of those, not refused.
            CliRun run = CliRun.of(new SampleCommand(Scoring.all()), "--model", "http://127.0.0.1:" + server.getAddress().getPort()
                    + "/v1", "--model-name", "teacher", "--prompts", "db:true", "--db", db.toString(), "--round", "1",
                    "--n", "4", "--reward", "verify:ifeval", "--max-new-tokens", "16");
            assertEquals(0, run.code(), run.err() + run.notes());
        } finally {
            server.stop(0);
        }
        try (Store store = Store.open(db)) {
            List<List<Object>> scored = new Tables(store).rows("SELECT x.response, v.value, v.scorer FROM samples x "
                    + "JOIN scores v ON v.sample_id = x.id ORDER BY x.id");
            assertEquals(8, scored.size());
            int compliant = 0;
            for (List<Object> r : scored) {
                boolean follows = r.get(0).equals("\"Thou shalt see Kyoto\"");
                assertEquals(follows ? 1.0 : 0.0, ((Number) r.get(1)).doubleValue(), (String) r.get(0));
                assertEquals("verify:ifeval", r.get(2));
                compliant += follows ? 1 : 0;
            }
            assertEquals(4, compliant, "two of each prompt's four seeds are even");
            List<List<Object>> kept = new Tables(store).rows("SELECT messages FROM sft ORDER BY id");
            assertEquals(2, kept.size());
            for (List<Object> k : kept) {
                assertTrue(k.get(0).toString().contains("\\\"Thou shalt see Kyoto\\\""), k.get(0).toString());
            }
        }
    }

    @Test
    void ifevalPromptsFileIsVerifiedWithoutAStore(@TempDir Path tmp) throws Exception {
        HttpServer server = teacher();
        try {
            Path out = tmp.resolve("s.jsonl");
            CliRun run = CliRun.of(new SampleCommand(Scoring.all()), "--model", "http://127.0.0.1:" + server.getAddress().getPort()
                    + "/v1", "--model-name", "teacher", "--prompts", twoIfEvalRows(tmp).toString(), "--out", out.toString(),
                    "--n", "2", "--reward", "verify:ifeval", "--max-new-tokens", "16");
            assertEquals(0, run.code(), run.err() + run.notes());
            List<String> lines = Files.readAllLines(out);
            assertEquals(4, lines.size());
            for (String l : lines) {
                JsonNode n = JSON.readTree(l);
                assertEquals(n.get("response").asText().startsWith("\"") ? 1.0 : 0.0, n.get("score").asDouble(), l);
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void promptsWithoutInstructionsAreRefusedInOneLine(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"id\": \"q1\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"answer\": \"4\"}\n");
        HttpServer server = teacher();
        try {
            CliRun run = CliRun.of(new SampleCommand(Scoring.all()), "--model", "http://127.0.0.1:" + server.getAddress().getPort()
                    + "/v1", "--model-name", "teacher", "--prompts", prompts.toString(), "--out", tmp.resolve("o.jsonl").toString(),
                    "--n", "1", "--reward", "verify:ifeval");
            assertEquals(2, run.code());
            assertTrue(run.err().contains("prompt q1: verify:ifeval needs IFEval's instruction_id_list and kwargs"), run.err());
        } finally {
            server.stop(0);
        }
    }
}
