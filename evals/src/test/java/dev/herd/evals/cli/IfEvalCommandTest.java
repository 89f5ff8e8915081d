package dev.herd.evals.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herd eval --tasks ifeval} on the 541 prompts, answered from a replay file, as a user runs it. */
class IfEvalCommandTest {

    @TempDir
    Path tmp;

    @Test
    void ifevalPrintsFourMetricsWithNAndInterval() throws Exception {
        // Key 1001 asks only for no commas: answered correctly. Every other prompt is unanswered.
        Path replay = tmp.resolve("r.jsonl");
        Files.writeString(replay, "{\"task\": \"ifeval\", \"id\": \"1001\", \"response\": \"Thou shalt see Kyoto\"}\n");
        String[] r = EvalCommandTest.run("--model", "replay:" + replay, "--tasks", "ifeval", "--data-dir",
                TestPaths.shared().resolve("benchmarks").toString());
        assertEquals("0", r[0], r[2]);
        // 1/541 prompts and 1/834 instructions; the intervals by hand: S ± 1.96·√(S(1−S)/N), clipped at 0.
        double sp = 1.0 / 541;
        double si = 1.0 / 834;
        String prompt = String.format("[%.4f, %.4f] %7d", 0.0, sp + 1.96 * Math.sqrt(sp * (1 - sp) / 541), 541);
        String inst = String.format("[%.4f, %.4f] %7d", 0.0, si + 1.96 * Math.sqrt(si * (1 - si) / 834), 834);
        for (String metric : new String[] {"prompt_level_strict_acc", "prompt_level_loose_acc"}) {
            assertTrue(r[1].lines().anyMatch(l -> l.startsWith("ifeval") && l.contains(metric)
                    && l.contains(String.format("%8.4f", sp)) && l.contains(prompt)), metric + " in:\n" + r[1]);
        }
        for (String metric : new String[] {"inst_level_strict_acc", "inst_level_loose_acc"}) {
            assertTrue(r[1].lines().anyMatch(l -> l.startsWith("ifeval") && l.contains(metric)
                    && l.contains(String.format("%8.4f", si)) && l.contains(inst)), metric + " in:\n" + r[1]);
        }
    }
}
