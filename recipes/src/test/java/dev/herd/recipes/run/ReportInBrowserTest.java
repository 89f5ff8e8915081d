package dev.herd.recipes.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.datasets.Store;
import dev.herd.llama.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd report --out} in a real browser (headless Chromium, offline): the page loads, every chart is drawn,
 * and the score and mechanism charts hold exactly what {@code herd report --json} says. Skipped where no Chromium
 * is installed ({@code apt-get install chromium}; {@code .ci/run} installs it where it may).
 */
class ReportInBrowserTest {

    @TempDir
    Path tmp;

    @Test
    void theReportsChartsAreDrawnOfflineAndHoldTheReportsJson() throws Exception {
        assumeTrue(HeadlessChromium.executable() != null, "no chromium installed");
        String json = """
                {
                  "name": "report-check", "seed": 2, "rounds": 1,
                  "base": {"init": {"hidden": 16, "layers": 1, "heads": 2, "kv-heads": 1, "intermediate": 32, "tokenizer": "%s"}},
                  "data": {"synth": {"sft": 20, "prompts": 8, "preferences": 16, "eval": 12}},
                  "eval": {"tasks": ["custom:{data}/eval.jsonl"], "batch": 12},
                  "start": {"sft": {"max-steps": 1, "batch-size": 2, "max-seq-len": 96}},
                  "stages": {
                    "rm": {"max-steps": 2, "batch-size": 4, "max-seq-len": 96},
                    "sample": {"n": 3, "max-new-tokens": 6, "temperature": 1.0, "reward": "verify:auto=1,rm:{rm}=0.1"},
                    "sft": {"max-steps": 1, "batch-size": 2, "max-seq-len": 96},
                    "dpo": {"max-steps": 1, "batch-size": 2, "max-seq-len": 96}
                  }
                }
                """.formatted(TestPaths.tokenizer().toAbsolutePath());
        Path recipe = tmp.resolve("report-check.json");
        Files.writeString(recipe, json);
        Path work = tmp.resolve("work");
        new RecipeRunner(Recipe.load(recipe, work, null), "cpu", new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run();
        Path page = tmp.resolve("report.html");
        JsonNode report;
        try (Store s = Store.openExisting(work.resolve("herd.duckdb"))) {
            report = Ledger.JSON.readTree(RoundTable.read(s).toJson().toString());     // what `herd report --json` prints
            HtmlReport.write(s, page);
        }
        // The browser's profile lives outside the test's folder: its helper processes may still be writing to it
        // while JUnit cleans up.
        Path profile = Files.createTempDirectory("herd-chromium-");
        try (HeadlessChromium browser = new HeadlessChromium(profile)) {
            browser.open(page);
            browser.await("document.readyState === 'complete' && typeof Chart !== 'undefined' "
                    + "&& Object.keys(Chart.instances).length === 6", Duration.ofSeconds(60));
            JsonNode charts = browser.eval("Object.fromEntries(Object.values(Chart.instances).map(c => [c.canvas.id, {"
                    + "drawn: !!c.chartArea && c.chartArea.width > 50 && c.chartArea.height > 50, labels: c.data.labels, "
                    + "datasets: c.data.datasets.map(d => ({label: d.label, data: d.data}))}]))");
            for (String id : List.of("scores", "mechanisms", "stages", "hist", "means", "volumes")) {
                assertTrue(charts.path(id).path("drawn").asBoolean(), id + " not drawn: " + charts.path(id));
            }
            // Scores: one line per candidate stage, a point per round, each the test-split score of the JSON.
            JsonNode scores = charts.get("scores");
            int lines = 0;
            for (JsonNode d : scores.get("datasets")) {
                String label = d.get("label").asText();
                if (label.contains(" CI ")) {
                    continue;
                }
                String stage = label.split(" ")[0];
                for (int i = 0; i < scores.get("labels").size(); i++) {
                    int round = Integer.parseInt(scores.get("labels").get(i).asText().substring("round ".length()));
                    JsonNode want = null;
                    for (JsonNode r : report.get("rounds")) {
                        if (r.get("round").asInt() == round && r.get("stage").asText().equals(stage) && r.get("split").asText().equals("test")) {
                            want = r;
                        }
                    }
                    JsonNode got = d.get("data").get(i);
                    if (want == null) {
                        assertTrue(got.isNull(), label + " round " + round);
                    } else {
                        assertEquals(want.get("score").asDouble(), got.asDouble(), 1e-12, label + " round " + round);
                    }
                }
                lines++;
            }
            assertTrue(lines >= 2, "start, sft and dpo lines: " + scores);
            // Mechanisms: the JSON's per-round rows, field by field.
            JsonNode mech = charts.get("mechanisms");
            List<String> fields = List.of("rs_rows", "pass@1", "pass@k", "rm_pairwise_accuracy", "sft_test", "dpo_test");
            for (int k = 0; k < fields.size(); k++) {
                List<String> want = new ArrayList<>();
                List<String> got = new ArrayList<>();
                for (int i = 0; i < report.get("mechanisms").size(); i++) {
                    JsonNode w = report.get("mechanisms").get(i).get(fields.get(k));
                    want.add(w == null ? "null" : String.valueOf(w.asDouble()));
                    JsonNode g = mech.get("datasets").get(k).get("data").get(i);
                    got.add(g.isNull() ? "null" : String.valueOf(g.asDouble()));
                }
                assertEquals(want, got, fields.get(k));
            }
            assertFalse(report.get("mechanisms").isEmpty());
        } finally {
            try {
                dev.herd.llama.ModelFolder.deleteTree(profile);
            } catch (RuntimeException e) {
                // a browser helper still exiting; the system's temp cleaner takes the rest
            }
        }
    }
}
