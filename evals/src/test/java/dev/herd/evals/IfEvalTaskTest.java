package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.evals.ifeval.IfEvalPrompt;
import dev.herd.llama.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 541 IFEval prompts load, and replayed responses are scored into the four lm-eval metrics with their N. */
class IfEvalTaskTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Task ifeval() {
        return Tasks.load("ifeval", TestPaths.shared().resolve("benchmarks"), -1);
    }

    @Test
    void all541PromptsParseWithKnownInstructionIds() throws Exception {
        Task t = ifeval();
        assertEquals(541, t.items().size());
        assertEquals("1000", t.items().get(0).id());
        assertEquals("user", t.items().get(0).messages().get(0).role());
        // Read independently of the task: every id in the file is one the checkers know, and each known id occurs.
        TreeSet<String> inFile = new TreeSet<>();
        int instructions = 0;
        for (String line : Files.readAllLines(TestPaths.shared().resolve("benchmarks/ifeval/input_data.jsonl"))) {
            var row = JSON.readTree(line);
            IfEvalPrompt p = IfEvalPrompt.of("row " + row.get("key"), row);
            instructions += p.ids().size();
            row.get("instruction_id_list").forEach(id -> inFile.add(id.asText()));
        }
        assertEquals(834, instructions);
        assertEquals(new TreeSet<>(IfEvalPrompt.knownIds()), inFile);
    }

    Path replay(Map<String, String> responses) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (var e : responses.entrySet()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("task", "ifeval");
            o.put("id", e.getKey());
            o.put("response", e.getValue());
            sb.append(o).append('\n');
        }
        Path p = tmp.resolve("replay.jsonl");
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test
    void replayedResponsesGiveTheFourMetricsOverPromptsAndInstructions() throws Exception {
        // 1001: no commas (1 instruction). 1000: no commas, >= 3 highlights, >= 300 words (3). 1005: >= 12
        // placeholders (1). Every other prompt is unanswered and follows nothing.
        Path file = replay(Map.of(
                "1001", "Sure, here is your itinerary:\nThou shalt see Kyoto and Nara",   // comma only in line 1
                "1000", "A *b* c *d* e *f* g",                                             // 2 of 3 followed
                "1005", "[a] [b] [c] [d] [e] [f] [g] [h] [i] [j] [k] [l]"));
        TaskResult r = new Evaluator(null, new Replay(file), 1, 0, 0,
                new CodeRunner(Duration.ofSeconds(10), 2048, 1024, true), 1000).run(ifeval(), 0);
        assertEquals(List.of("prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc",
                "inst_level_loose_acc"), List.copyOf(r.metrics().keySet()));
        check(r.metrics().get("prompt_level_strict_acc"), 1, 541);   // 1005
        check(r.metrics().get("inst_level_strict_acc"), 3, 834);     // 1000: 2, 1005: 1
        check(r.metrics().get("prompt_level_loose_acc"), 2, 541);    // 1001 without its first line, 1005
        check(r.metrics().get("inst_level_loose_acc"), 4, 834);
        assertEquals(541, r.items().size());
    }

    @Test
    void aDevTestSplitStillCountsInstructions() throws Exception {
        // Recipes score the test side of a split task: its instruction-level N is its prompts' instructions.
        Task test = SplitTask.of(ifeval(), SplitTask.Split.TEST, 0.5);
        Set<String> keys = new HashSet<>();
        test.items().forEach(i -> keys.add(i.id()));
        int instructions = 0;
        for (String line : Files.readAllLines(TestPaths.shared().resolve("benchmarks/ifeval/input_data.jsonl"))) {
            var row = JSON.readTree(line);
            if (keys.contains(row.get("key").asText())) {
                instructions += row.get("instruction_id_list").size();
            }
        }
        Path file = replay(Map.of("1001", "No commas at all"));
        TaskResult r = new Evaluator(null, new Replay(file), 1, 0, 0,
                new CodeRunner(Duration.ofSeconds(10), 2048, 1024, true), 1000).run(test, 0);
        assertEquals(keys.size(), r.metrics().get("prompt_level_strict_acc").n());
        assertEquals(instructions, r.metrics().get("inst_level_strict_acc").n());
        assertTrue(instructions > keys.size() && keys.size() > 200 && keys.size() < 340, keys.size() + " / " + instructions);
    }

    /** k successes of n with Llama 3's interval S ± 1.96·√(S(1−S)/N), computed here by hand. */
    static void check(Confidence.Interval ci, int k, int n) {
        double s = (double) k / n;
        double half = 1.96 * Math.sqrt(s * (1 - s) / n);
        assertEquals(n, ci.n());
        assertEquals(s, ci.score(), 1e-12);
        assertEquals(Math.max(0, s - half), ci.low(), 1e-9);
        assertEquals(Math.min(1, s + half), ci.high(), 1e-9);
    }

    @Test
    void unknownInstructionOrMissingArgumentNamesTheLine() throws Exception {
        Path dir = tmp.resolve("data/ifeval");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("input_data.jsonl"), "{\"key\": 1, \"prompt\": \"Hi\", \"instruction_id_list\": "
                + "[\"punctuation:no_comma\"], \"kwargs\": [{}]}\n{\"key\": 2, \"prompt\": \"Hi\", \"instruction_id_list\": "
                + "[\"keywords:frequency\"], \"kwargs\": [{\"keyword\": \"tea\", \"relation\": \"at most\", \"frequency\": 2}]}\n");
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> Tasks.load("ifeval", tmp.resolve("data"), -1));
        assertTrue(e.getMessage().contains("input_data.jsonl:2: keywords:frequency: argument 'relation' must be "
                + "'less than' or 'at least', got 'at most'"), e.getMessage());
        Files.writeString(dir.resolve("input_data.jsonl"), "{\"key\": 1, \"prompt\": \"Hi\", \"instruction_id_list\": "
                + "[\"startend:start_checker\"], \"kwargs\": [{}]}\n");
        e = assertThrows(HerdInputException.class,
                () -> Tasks.load("ifeval", tmp.resolve("data"), -1));
        assertTrue(e.getMessage().contains("input_data.jsonl:1: startend:start_checker: unknown IFEval instruction"),
                e.getMessage());
    }
}
