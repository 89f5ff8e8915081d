package dev.herd.evals.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.herd.llama.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** {code, stdout, stderr} of the command as a user runs it. */
    static String[] run(String... args) {
        CliRun r = CliRun.of(new EvalCommand(), args);
        return new String[] {String.valueOf(r.code()), r.out(), r.err()};
    }

    /** A replay answering the first {@code right} of the first 100 MMLU items correctly, the rest wrongly. */
    Path mmluReplay(String name, int right) throws Exception {
        var task = dev.herd.evals.Tasks.load("mmlu", TestPaths.shared().resolve("benchmarks"), 0);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            var item = task.items().get(i);
            String label = item.labels().get(i < right ? item.gold() : (item.gold() + 1) % 4);
            sb.append("{\"task\": \"mmlu\", \"id\": \"").append(item.id()).append("\", \"response\": \"").append(label).append("\"}\n");
        }
        Path p = tmp.resolve(name);
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test
    void evalStoresRunsAndCompareSaysWhetherTheyDiffer() throws Exception {
        Path db = tmp.resolve("evals.duckdb");
        String data = TestPaths.shared().resolve("benchmarks").toString();
        String[] a = run("--model", "replay:" + mmluReplay("a.jsonl", 60), "--tasks", "mmlu", "--limit", "100",
                "--data-dir", data, "--db", db.toString(), "--json");
        assertEquals("0", a[0], a[2]);
        JsonNode rows = JSON.readTree(a[1]);
        JsonNode acc = rows.get(0);
        assertEquals("mmlu", acc.get("task").asText());
        assertEquals("acc", acc.get("metric").asText());
        assertEquals(0.6, acc.get("score").asDouble(), 1e-12);
        assertEquals(100, acc.get("n").asInt());
        // 0.6 ± 1.96·√(0.24/100)
        assertEquals(0.6 - 1.96 * Math.sqrt(0.0024), acc.get("ci95").get(0).asDouble(), 1e-9);

        assertEquals("0", run("--model", "replay:" + mmluReplay("b.jsonl", 62), "--tasks", "mmlu", "--limit", "100",
                "--data-dir", data, "--db", db.toString())[0]);
        assertEquals("0", run("--model", "replay:" + mmluReplay("c.jsonl", 95), "--tasks", "mmlu", "--limit", "100",
                "--data-dir", data, "--db", db.toString())[0]);

        String[] close = run("compare", "--db", db.toString(), "1", "2");
        assertEquals("0", close[0], close[2]);
        assertTrue(close[1].contains("no significant difference"), close[1]);
        String[] far = run("compare", "--db", db.toString(), "1", "3", "--json");
        JsonNode c = JSON.readTree(far[1]).get(0);
        assertEquals("B better", c.get("verdict").asText());
        assertEquals(0.35, c.get("diff").asDouble(), 1e-12);
        assertTrue(c.get("mcnemar_p").asDouble() < 1e-6);
    }

    @Test
    void badInputExitsTwoWithOneLine() throws Exception {
        String data = TestPaths.shared().resolve("benchmarks").toString();
        String[] r = run("--model", "replay:/dev/null", "--tasks", "hellaswag", "--data-dir", data);
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("unknown task 'hellaswag'"), r[2]);
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"task\": \"gsm8k\", \"id\": \"0\"}\n");
        r = run("--model", "replay:" + bad, "--tasks", "gsm8k", "--data-dir", data, "--limit", "1");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains(bad + ":1: missing text field 'response'"), r[2]);
        r = run("compare", "--db", tmp.resolve("none.duckdb").toString(), "1", "2");
        assertEquals("2", r[0]);
    }

    @Test
    void arcInAi2FormatWithNumericLabels() throws Exception {
        Path dir = tmp.resolve("data/arc");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ARC-Easy-Test.jsonl"),
                "{\"id\": \"Q1\", \"question\": {\"stem\": \"Which is a mammal?\", \"choices\": [{\"text\": \"shark\", \"label\": \"1\"}, "
                        + "{\"text\": \"whale\", \"label\": \"2\"}, {\"text\": \"trout\", \"label\": \"3\"}]}, \"answerKey\": \"2\"}\n");
        Path replay = tmp.resolve("arc.jsonl");
        Files.writeString(replay, "{\"task\": \"arc_easy\", \"id\": \"Q1\", \"response\": \"2\"}\n");
        String[] r = run("--model", "replay:" + replay, "--tasks", "arc_easy", "--data-dir", tmp.resolve("data").toString(), "--json");
        assertEquals("0", r[0], r[2]);
        assertEquals(1.0, JSON.readTree(r[1]).get(0).get("score").asDouble());
    }
}
