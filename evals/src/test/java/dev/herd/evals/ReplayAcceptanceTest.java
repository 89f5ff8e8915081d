package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.TestPaths;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scoring checked on its own: the reference answers replayed must get full marks. */
class ReplayAcceptanceTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path replayOf(Task task, java.util.function.Function<EvalItem, String> response) throws Exception {
        Path file = tmp.resolve(task.name().replace(':', '_') + ".jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (EvalItem item : task.items()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("task", task.name());
                o.put("id", item.id());
                o.put("response", response.apply(item));
                w.write(o + "\n");
            }
        }
        return file;
    }

    static Evaluator replaying(Path file) {
        // Sandboxed where bubblewrap works (SandboxTest checks it); elsewhere these checks of scoring run unisolated.
        return new Evaluator(null, new Replay(file), 1, 0, 0, new CodeRunner(Duration.ofSeconds(10), 2048, 1024, true), 1000);
    }

    @Test
    void gsm8kReferenceAnswersScoreFullMarks() throws Exception {
        Task gsm = Tasks.load("gsm8k", TestPaths.shared().resolve("benchmarks"), -1);
        assertEquals(1319, gsm.items().size());
        TaskResult r = replaying(replayOf(gsm, EvalItem::answer)).run(gsm, 0);
        assertEquals(1.0, r.metrics().get("exact_match_strict").score());
        assertEquals(1.0, r.metrics().get("exact_match_flexible").score());
        assertEquals(1319, r.metrics().get("exact_match_strict").n());
        // A response with the right number but no "####" passes only the flexible extraction.
        TaskResult loose = replaying(replayOf(gsm, i -> "The answer is " + Gsm8k.normalize(i.answer()) + ".")).run(gsm, 50);
        assertEquals(0.0, loose.metrics().get("exact_match_strict").score());
        assertEquals(1.0, loose.metrics().get("exact_match_flexible").score());
    }

    @Test
    void humanevalCanonicalSolutionsPassAll() throws Exception {
        Task he = Tasks.load("humaneval", TestPaths.shared().resolve("benchmarks"), -1);
        assertEquals(164, he.items().size());
        TaskResult r = replaying(replayOf(he, EvalItem::answer)).run(he, 0);
        assertEquals(1.0, r.metrics().get("pass@1").score(), "canonical solutions: " + r.items().stream()
                .filter(o -> o.values().get("pass@1") < 1).map(TaskResult.ItemOutcome::id).toList());
        assertEquals(164, r.metrics().get("pass@1").n());
        // An empty completion fails.
        TaskResult empty = replaying(replayOf(he, i -> "    pass\n")).run(he, 10);
        assertEquals(0.0, empty.metrics().get("pass@1").score());
    }

    @Test
    void mmluLabelsAreScoredAndIdsAreSubjectRow() throws Exception {
        Task mmlu = Tasks.load("mmlu", TestPaths.shared().resolve("benchmarks"), -1);
        assertEquals(14042, mmlu.items().size());
        assertEquals("abstract_algebra/0", mmlu.items().get(0).id());
        TaskResult right = replaying(replayOf(mmlu, i -> i.labels().get(i.gold()))).run(mmlu, 0);
        assertEquals(1.0, right.metrics().get("acc").score());
        TaskResult wrong = replaying(replayOf(mmlu, i -> i.labels().get((i.gold() + 1) % 4))).run(mmlu, 0);
        assertEquals(0.0, wrong.metrics().get("acc").score());
        Confidence.Interval ci = right.metrics().get("acc");
        assertEquals(1.0, ci.high());
    }

    @Test
    void codeRunnerKillsHangsAndFloods() {
        CodeRunner runner = new CodeRunner(Duration.ofSeconds(2), 512, 256, true);
        assertEquals(CodeRunner.Outcome.PASSED, runner.run("assert 1 + 1 == 2\n"));
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("assert 1 + 1 == 3\n"));
        long t0 = System.nanoTime();
        assertEquals(CodeRunner.Outcome.TIMEOUT, runner.run("while True:\n    pass\n"));
        assertTrue((System.nanoTime() - t0) / 1e9 < 8, "killed at the limit");
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("while True:\n    print('x' * 10000)\n"));
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("x = bytearray(2 * 1024 * 1024 * 1024)\n"));
        if (runner.isolated() || CodeRunner.networkIsolated()) {
            // A listener of the host's: reachable from the host, not from the program (port 22 would fail anyway
            // where nothing listens on it).
            try (java.net.ServerSocket host = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
                try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), host.getLocalPort())) {
                    assertTrue(s.isConnected(), "the listener works");
                }
                assertEquals(CodeRunner.Outcome.FAILED, runner.run(
                        "import socket\nsocket.create_connection(('127.0.0.1', " + host.getLocalPort() + "), timeout=1)\n"));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void customTasksUseTheirVerifiers() throws Exception {
        Path file = tmp.resolve("custom.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"id\": \"a\", \"prompt\": \"2+3=\", \"answer\": \"5\", \"verifier\": \"numeric\"}",
                "{\"id\": \"b\", \"prompt\": \"Say hi\", \"answer\": \"hi\", \"verifier\": \"exact\"}",
                "{\"id\": \"c\", \"prompt\": \"Name a color\", \"answer\": \"(red|blue)\", \"verifier\": \"regex\"}",
                "{\"id\": \"d\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"answer\": \"yes\", \"verifier\": \"contains\"}") + "\n");
        Task t = Tasks.load("custom:" + file, null, -1);
        Path replay = tmp.resolve("r.jsonl");
        String name = t.name();
        Files.writeString(replay, String.join("\n",
                "{\"task\": \"" + name + "\", \"id\": \"a\", \"response\": \"It is 5.0\"}",
                "{\"task\": \"" + name + "\", \"id\": \"b\", \"response\": \" hi \"}",
                "{\"task\": \"" + name + "\", \"id\": \"c\", \"response\": \"green\"}",
                "{\"task\": \"" + name + "\", \"id\": \"d\", \"response\": \"oh yes\"}") + "\n");
        TaskResult r = replaying(replay).run(t, 0);
        assertEquals(0.75, r.metrics().get("accuracy").score(), 1e-12);
        assertEquals(java.util.List.of(1.0, 1.0, 0.0, 1.0),
                r.items().stream().map(o -> o.values().get("accuracy")).toList());
    }

    @Test
    void customTasksMayCapGenerationLength() throws Exception {
        Path file = tmp.resolve("short.jsonl");
        Files.writeString(file, "{\"prompt\": \"a\", \"answer\": \"1\", \"max_new_tokens\": 12}\n"
                + "{\"prompt\": \"b\", \"answer\": \"2\", \"max_new_tokens\": 40}\n{\"prompt\": \"c\", \"answer\": \"3\"}\n");
        assertEquals(40, Tasks.load("custom:" + file, null, -1).maxNewTokens());
        Path plain = tmp.resolve("plain.jsonl");
        Files.writeString(plain, "{\"prompt\": \"a\", \"answer\": \"1\"}\n");
        assertEquals(256, Tasks.load("custom:" + plain, null, -1).maxNewTokens());
        Path bad = tmp.resolve("bad-max.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"answer\": \"1\", \"max_new_tokens\": 0}\n");
        dev.herd.common.HerdInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.herd.common.HerdInputException.class, () -> Tasks.load("custom:" + bad, null, -1));
        assertTrue(e.getMessage().startsWith(bad + ":1: max_new_tokens"), e.getMessage());
    }

    @Test
    void badDataNamesFileAndLine() throws Exception {
        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(file, "{\"id\": \"a\", \"prompt\": \"x\", \"answer\": \"1\"}\n{\"id\": \"b\", \"prompt\": \"x\", \"answer\": \"1\", \"verifier\": \"fuzzy\"}\n");
        dev.herd.common.HerdInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.herd.common.HerdInputException.class, () -> Tasks.load("custom:" + file, null, -1));
        assertTrue(e.getMessage().startsWith(file + ":2: ") && e.getMessage().contains("fuzzy"), e.getMessage());
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.herd.common.HerdInputException.class,
                () -> Tasks.load("hellaswag", tmp, -1)).getMessage().contains("unknown task 'hellaswag'"));
    }
}
