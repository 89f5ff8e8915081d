package dev.herd.sampling.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.PromptRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.TestPaths;
import dev.herd.sampling.SampleStage;
import dev.herd.sampling.SamplingPrompt;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GSM8K imported as prompts can be verified: its answer column is a worked solution ending "#### N", so the
 * import keeps N as the answer (numeric verifier) and the solution beside it. Before, the whole solution was the
 * answer, and no sample could ever pass verify:numeric or verify:auto.
 */
class Gsm8kPromptsTest {

    @TempDir
    Path tmp;

    @Test
    void theTestSetsReferenceSolutionsAllVerifyAndWrongAnswersDoNot() {
        Path file = TestPaths.shared().resolve("benchmarks/gsm8k/test.jsonl");
        try (Store store = Store.open(tmp.resolve("p.duckdb"))) {
            assertEquals(1319, new Importer(store).importFiles(Kind.PROMPTS, List.of(file)));
            List<PromptRow> rows = new Tables(store).prompts(null);
            PromptRow first = rows.get(0);
            // Janet's ducks: "... #### 18".
            assertEquals("18", first.answer());
            assertEquals("numeric", first.verifier());
            assertTrue(first.solution().endsWith("#### 18"), first.solution());
            List<SamplingPrompt> prompts = SampleStage.prompts(store, "true");
            List<String> solutions = rows.stream().map(PromptRow::solution).toList();
            try (Verifier auto = new Verifier(Verifier.Kind.AUTO)) {
                double[] right = auto.score(prompts, solutions);
                double[] ones = new double[right.length];
                Arrays.fill(ones, 1.0);
                assertArrayEquals(ones, right, "every reference solution verifies");
                List<String> offByOne = rows.stream().map(r -> "The answer is " + (Long.parseLong(r.answer().split("\\.")[0]) + 1)).toList();
                assertEquals(0.0, Arrays.stream(auto.score(prompts, offByOne)).sum(), "a wrong final number never does");
            }
        }
    }
}
