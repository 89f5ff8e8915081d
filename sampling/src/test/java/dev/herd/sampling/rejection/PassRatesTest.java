package dev.herd.sampling.rejection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herd.datasets.PromptRow;
import dev.herd.datasets.SampleRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassRatesTest {

    @TempDir
    Path tmp;

    @Test
    void passAtOneAndPassAtKCountRightSamplesByEachPromptsOwnVerifier() {
        try (Store s = Store.open(tmp.resolve("s.duckdb"))) {
            Tables t = new Tables(s);
            List<Long> ids = t.addPrompts(List.of(
                    new PromptRow(0, "2 + 3?", null, "t", null, null, null, "5", "numeric"),
                    new PromptRow(0, "Say GREEN", null, "t", null, null, null, "GREEN", "exact"),
                    new PromptRow(0, "4 + 4?", null, "t", null, null, null, "8", "numeric"),
                    new PromptRow(0, "no answer", null, "t", null, null, null, null, null)));
            List<SampleRow> rows = new ArrayList<>();
            // Prompt 1: 1 of 4 right (numeric: the last number counts). Prompt 2: 0 of 4 (exact: case matters).
            // Prompt 3: 4 of 4. Prompt 4 has no answer and is left out. Another model's and round's samples too.
            for (String r : List.of("2 + 3 = 5. The answer is 5.", "The answer is 6.", "5 or 7", "none")) {
                rows.add(new SampleRow(0, ids.get(0), r, "m", 1, null, null, null));
            }
            for (String r : List.of("green", "Green", "GREEN!", " GREENS")) {
                rows.add(new SampleRow(0, ids.get(1), r, "m", 1, null, null, null));
            }
            for (String r : List.of("8", "It is 8.", "4 + 4 = 8", "8.0")) {
                rows.add(new SampleRow(0, ids.get(2), r, "m", 1, null, null, null));
            }
            rows.add(new SampleRow(0, ids.get(3), "x", "m", 1, null, null, null));
            rows.add(new SampleRow(0, ids.get(0), "5", "other", 1, null, null, null));
            rows.add(new SampleRow(0, ids.get(1), "GREEN", "m", 2, null, null, null));
            t.addSamples(rows);

            PassRates p = PassRates.of(s, 1, "m");
            assertEquals(4, p.k());
            assertEquals(3, p.prompts());
            assertEquals((1 / 4.0 + 0 + 1) / 3, p.pass1(), 1e-12);
            assertEquals(2 / 3.0, p.passK(), 1e-12);
            assertNull(PassRates.of(s, 3, "m"), "no samples in round 3");
        }
    }
}
