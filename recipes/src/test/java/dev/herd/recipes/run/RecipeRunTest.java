package dev.herd.recipes.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.Store;
import dev.herd.evals.SplitTask;
import dev.herd.llama.TestPaths;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One small round of the loop end to end, killed with SIGKILL at several points of its progress and resumed each
 * time: the resumed run must finish with exactly the rows and models one uninterrupted run makes, and a further
 * run must change nothing.
 */
class RecipeRunTest {

    @TempDir
    Path tmp;

    private Path recipe() throws Exception {
        String json = """
                {
                  "name": "tiny-test", "seed": 3, "rounds": 1,
                  "base": {"init": {"hidden": 16, "layers": 1, "heads": 2, "kv-heads": 1, "intermediate": 32, "tokenizer": "%s"}},
                  "data": {"synth": {"sft": 40, "prompts": 12, "preferences": 16, "eval": 12}},
                  "eval": {"tasks": ["custom:{data}/eval.jsonl"], "batch": 12},
                  "start": {"sft": {"lr": 0.01, "max-steps": 3, "batch-size": 4, "max-seq-len": 96, "save-every": 1}},
                  "stages": {
                    "rm": {"max-steps": 2, "batch-size": 4, "max-seq-len": 96},
                    "sample": {"prompts-per-round": 6, "n": 2, "max-new-tokens": 6, "reward": "verify:auto=0.5,rm:{rm}=0.5"},
                    "curate": {"steps": [{"step": "dedup", "near": false}]},
                    "sft": {"lr": 0.01, "max-steps": 12, "batch-size": 2, "max-seq-len": 96, "save-every": 1, "log-every": 4},
                    "dpo": {"max-steps": 2, "batch-size": 2, "max-seq-len": 96, "runs": [{"seed": 1}, {"seed": 2}]}
                  }
                }
                """.formatted(TestPaths.tokenizer().toAbsolutePath());
        Path f = tmp.resolve("tiny-test.json");
        Files.writeString(f, json);
        return f;
    }

    private static Map<String, Long> counts(Path db) {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Store s = Store.openExisting(db)) {
            for (String q : List.of(
                    "SELECT count(*) FROM sft", "SELECT count(*) FROM prompts", "SELECT count(*) FROM preferences WHERE round IS NULL", "SELECT count(*) FROM preferences WHERE round = 1",
                    "SELECT count(*) FROM samples", "SELECT count(*) FROM eval_runs", "SELECT count(*) FROM eval_items",
                    "SELECT count(*) FROM imports",
                    "SELECT count(*) FROM sft WHERE origin = 'rejection_sampling'",
                    "SELECT count(*) FROM runs WHERE status = 'done'",
                    "SELECT count(*) - count(DISTINCT (round, stage, name)) FROM runs WHERE status = 'done'")) {
                out.put(q, s.count(q));
            }
        }
        return out;
    }

    /** How many items of an eval file the fixed split puts on the dev side. */
    static int devItems(Path evalFile) throws Exception {
        int n = 0;
        for (String line : Files.readAllLines(evalFile)) {
            if (!line.isBlank() && SplitTask.isDev(new ObjectMapper().readTree(line).get("id").asText(), 0.5)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Where a run is killed: once a line matching {@code after} has been printed, at the first line matching
     * {@code then} (at that very line when null), and what the next run must find done.
     */
    private record KillPoint(String where, Predicate<String> after, Predicate<String> then, String doneBefore) {}

    private static final List<KillPoint> KILLS = List.of(
            new KillPoint("between rounds", l -> l.startsWith("[round 1/1] reward model"), null,
                    "[round 0] eval sft: done before, skipped"),
            new KillPoint("as sampling starts", l -> l.startsWith("[round 1/1] rejection sampling"), null,
                    "[round 1] rm: done before, skipped"),
            new KillPoint("in round 1's SFT, after step 8", l -> l.startsWith("[round 1/1] SFT"), l -> l.startsWith("step 8:"),
                    "[round 1] curate: done before, skipped"),
            new KillPoint("in the second DPO run", l -> l.startsWith("[round 1/1] DPO") && l.contains("(run 2 of 2)"),
                    l -> l.startsWith("dpo: "), "[round 1] dpo run1: done before, skipped"),
            new KillPoint("between the dev evaluations", l -> l.startsWith("[round 1] evaluating dpo") && l.contains("dev split"),
                    null, "[round 1] eval sft@dev: done before, skipped"));

    /** The recipe in a child JVM, killed with SIGKILL at {@code kill}; what it printed (stdout and stderr). */
    private static List<String> runUntil(Path recipe, Path work, KillPoint kill) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "dev.herd.recipes.cli.HerdCli",
                "run", recipe.toString(), "--work", work.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> seen = new ArrayList<>();
        boolean armed = false;
        boolean killed = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                seen.add(line);
                boolean first = !armed && kill.after().test(line);
                armed |= first;
                if (armed && (kill.then() == null ? first : kill.then().test(line))) {
                    p.destroyForcibly();
                    killed = true;
                    break;
                }
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(killed, "the run got " + kill.where() + " and was killed there:\n" + String.join("\n", seen));
        return seen;
    }

    @Test
    void killedAtSeveralPointsResumesToWhatAnUninterruptedRunMakes() throws Exception {
        Path recipe = recipe();
        Path work = tmp.resolve("work");
        Path db = work.resolve("herd.duckdb");

        // Real processes, each killed with SIGKILL at the next point of the run's progress.
        List<String> all = new ArrayList<>();
        KillPoint previous = null;
        for (KillPoint kill : KILLS) {
            List<String> seen = runUntil(recipe, work, kill);
            if (previous != null) {
                assertTrue(seen.contains(previous.doneBefore()), "after a kill " + previous.where() + ", finished work is "
                        + "skipped:\n" + String.join("\n", seen));
            }
            all.addAll(seen);
            previous = kill;
        }
        assertFalse(Files.exists(work.resolve("final")), "killed before the end");

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        new RecipeRunner(Recipe.load(recipe, work, null), "cpu", new PrintStream(text, true, StandardCharsets.UTF_8)).run();
        String resumed = text.toString(StandardCharsets.UTF_8);
        all.addAll(resumed.lines().toList());
        assertTrue(resumed.contains(previous.doneBefore()), resumed);
        // Finished steps are skipped, not redone: each step began once, and once more where it was killed.
        for (String step : List.of("[round 1/1] reward model", "[round 1/1] rejection sampling", "[round 1/1] curating",
                "[round 1/1] SFT", "[round 1/1] DPO", "[round 1] dpo: averaging", "[round 1] evaluating sft",
                "[round 1] evaluating dpo", "initialising a random base model", "SFT of the base")) {
            long began = all.stream().filter(l -> l.startsWith(step)).count();
            long killedIn = KILLS.stream().filter(k -> all.stream().anyMatch(l -> l.startsWith(step) && k.after().test(l))).count();
            long once = step.equals("[round 1/1] DPO") || step.startsWith("[round 1] evaluating") ? 2 : 1;
            assertEquals(once + killedIn, began, step + ": begun once per run of it, and again where killed");
        }
        assertTrue(Files.isRegularFile(work.resolve("final/config.json")));

        // One uninterrupted run of the same recipe makes the same rows and the same models.
        Path whole = tmp.resolve("whole");
        new RecipeRunner(Recipe.load(recipe, whole, null), "cpu", new PrintStream(new ByteArrayOutputStream())).run();
        Map<String, List<String>> want = tables(whole.resolve("herd.duckdb"), whole);
        Map<String, List<String>> got = tables(db, work);
        assertEquals(want.keySet(), got.keySet());
        for (String table : want.keySet()) {
            assertEquals(want.get(table), got.get(table), "table " + table + " after the kills equals the uninterrupted run's");
        }
        Map<String, byte[]> wantModels = models(whole);
        assertEquals(wantModels.keySet(), models(work).keySet());
        assertTrue(wantModels.containsKey("final/model.safetensors"), wantModels.keySet().toString());
        models(work).forEach((f, bytes) -> assertArrayEquals(wantModels.get(f), bytes, f + " equals the uninterrupted run's"));
        try (Store s = Store.openExisting(db)) {
            assertEquals(0, s.count("SELECT count(*) FROM runs WHERE status NOT IN ('done', 'discarded')"),
                    "every killed attempt was discarded when its step ran again");
        }

        Map<String, Long> after = counts(db);
        assertEquals(40, after.get("SELECT count(*) FROM sft") - after.get("SELECT count(*) FROM sft WHERE origin = 'rejection_sampling'"));
        assertEquals(12, after.get("SELECT count(*) FROM prompts"));
        assertEquals(16, after.get("SELECT count(*) FROM preferences WHERE round IS NULL"));
        long pairs = after.get("SELECT count(*) FROM preferences WHERE round = 1");
        assertTrue(pairs >= 1 && pairs <= 6, "one best-vs-worst pair per sampled prompt at most: " + pairs);
        assertEquals(6 * 2, after.get("SELECT count(*) FROM samples"), "6 prompts x 2 samples, once");
        // Round 0's SFT on the test split; round 1's SFT and averaged DPO on the dev split, then on the test split.
        int dev = devItems(work.resolve("data/eval.jsonl"));
        int test = 12 - dev;
        assertTrue(dev > 0 && test > 0, "both sides of the split have items: dev " + dev);
        assertEquals(5, after.get("SELECT count(*) FROM eval_runs"));
        assertEquals(3 * test + 2 * dev, after.get("SELECT count(*) FROM eval_items"));
        assertEquals(3, after.get("SELECT count(*) FROM imports"));
        assertEquals(0, after.get("SELECT count(*) - count(DISTINCT (round, stage, name)) FROM runs WHERE status = 'done'"));
        // setup: synth, 3 imports, base; round 0: sft, eval; round 1: rm, sample, curate, sft, 2 dpo runs + average,
        // 2 dev evals, 2 test evals; the copy to final/.
        assertEquals(19, after.get("SELECT count(*) FROM runs WHERE status = 'done'"));

        // Running a finished recipe again changes nothing.
        new RecipeRunner(Recipe.load(recipe, work, null), "cpu", new PrintStream(new ByteArrayOutputStream())).run();
        assertEquals(after, counts(db));

        // The report: round 0 and round 1's candidates, each on the split it says.
        JsonNode report;
        try (Store s = Store.openExisting(db)) {
            report = RoundTable.read(s).toJson();
            String html = HtmlReport.render(s);
            assertTrue(html.contains("Chart.js v4.4.1") && !html.contains("src=\"http"), "Chart.js is inlined");
            String data = html.substring(html.indexOf("const D = ") + 10, html.indexOf(";\nconst split"));
            assertEquals(new ObjectMapper().readTree(report.toString()), new ObjectMapper().readTree(data).get("report"));
        }
        List<String> seenRounds = new ArrayList<>();
        for (JsonNode row : report.get("rounds")) {
            String split = row.get("split").asText();
            seenRounds.add(row.get("round").asInt() + ":" + row.get("stage").asText() + "@" + split);
            assertEquals(split.equals("dev") ? dev : test, row.get("n").asInt(), row.toString());
        }
        assertEquals(List.of("0:sft@test", "1:sft@dev", "1:dpo@dev", "1:sft@test", "1:dpo@test"), seenRounds);
        assertEquals(1, report.get("gains").size());
        assertEquals("test", report.get("gains").get(0).get("split").asText());
        JsonNode mech = report.get("mechanisms").get(1);
        assertEquals(2, mech.get("k").asInt(), mech.toString());
        assertTrue(mech.has("rm_pairwise_accuracy") && mech.has("rs_rows") && mech.has("sft_test") && mech.has("dpo_test"), mech.toString());
        assertTrue(resumed.contains("round  RM acc"), resumed);
        choiceReadsOnlyDevItems(db, work.resolve("data/eval.jsonl"));
    }

    /**
     * Every table's rows as sorted text, comparable between two runs: the ledger's run ids (in {@code run_id} of the
     * data tables) replaced by their step, the work folder's path by WORK, times left out, and of the {@code runs}
     * table the finished steps only (a killed attempt stays there, discarded).
     */
    private static Map<String, List<String>> tables(Path db, Path work) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        try (Store s = Store.openExisting(db); Statement st = s.connection().createStatement()) {
            Map<String, String> steps = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT id, round, stage, name FROM runs")) {
                while (rs.next()) {
                    steps.put(rs.getString(1), rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getString(4));
                }
            }
            List<String> names = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            for (String table : names) {
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("SELECT * FROM " + table + (table.equals("runs") ? " WHERE status = 'done'" : ""))) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int c = 1; c <= md.getColumnCount(); c++) {
                            String col = md.getColumnName(c);
                            if (col.endsWith("_at") || (table.equals("runs") && col.equals("id"))) {
                                continue;
                            }
                            String v = rs.getString(c);
                            if (v != null && col.equals("run_id") && !table.startsWith("eval_")) {
                                v = steps.get(v);
                            }
                            row.append(col).append('=').append(v == null ? null : v.replace(work.toString(), "WORK")).append("; ");
                        }
                        rows.add(row.toString());
                    }
                }
                rows.sort(null);
                out.put(table, rows);
            }
        }
        return out;
    }

    /** Every model's weights under {@code work}, by path. */
    private static Map<String, byte[]> models(Path work) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(work)) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("model.safetensors")).toList()) {
                out.put(work.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /**
     * Round 1's choice between SFT and DPO: both candidates' dev evaluations finished before any test evaluation
     * started, they scored only dev items, and the winner is the better on dev (ties to DPO) — the test scores
     * played no part.
     */
    private static void choiceReadsOnlyDevItems(Path db, Path evalFile) throws Exception {
        try (Store s = Store.openExisting(db)) {
            dev.herd.datasets.Tables t = new dev.herd.datasets.Tables(s);
            List<dev.herd.datasets.RunRow> evals = t.runs("status = 'done' AND stage = 'eval' AND round = 1");
            long lastDevEnd = 0;
            long firstTestStart = Long.MAX_VALUE;
            Map<String, Double> devScore = new LinkedHashMap<>();
            Map<String, String> devModel = new LinkedHashMap<>();
            for (dev.herd.datasets.RunRow r : evals) {
                JsonNode m = Ledger.metrics(r);
                long evalRun = m.get("eval_run").asLong();
                boolean isDev = r.name().endsWith("@dev");
                for (List<Object> item : t.rows("SELECT DISTINCT item_id FROM eval_items WHERE run_id = " + evalRun)) {
                    assertEquals(isDev, SplitTask.isDev((String) item.get(0), 0.5), r.name() + " scored item " + item.get(0));
                }
                if (isDev) {
                    lastDevEnd = Math.max(lastDevEnd, r.id());
                    devScore.put(r.name().replace("@dev", ""), m.get("scores").get(0).get("score").asDouble());
                    devModel.put(r.name().replace("@dev", ""), m.get("model").asText());
                } else {
                    firstTestStart = Math.min(firstTestStart, r.id());
                }
            }
            assertEquals(List.of("sft", "dpo"), new ArrayList<>(devScore.keySet()));
            assertTrue(lastDevEnd < firstTestStart, "every dev evaluation ran before the first test evaluation");
            String expected = devScore.get("dpo") >= devScore.get("sft") ? devModel.get("dpo") : devModel.get("sft");
            String best = t.rounds().stream().filter(x -> x.round() == 1).findFirst().orElseThrow().best();
            assertEquals(expected, best, "the winner is the better candidate on dev: " + devScore);
        }
    }
}
