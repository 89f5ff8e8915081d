package dev.herd.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {

    @TempDir
    Path tmp;

    @Test
    void newStoreHasTheCurrentSchemaAndReopens() {
        Path file = tmp.resolve("s.duckdb");
        try (Store s = Store.open(file)) {
            assertEquals(Schema.VERSION, s.version());
            new Tables(s).addPrompts(List.of(PromptRow.text("hi", "test")));
        }
        try (Store s = Store.open(file)) {
            assertEquals(1, new Tables(s).prompts(null).size());
        }
    }

    @Test
    void aVersionTwoStoreGainsTheRoundsTable() throws Exception {
        Path file = tmp.resolve("v2.duckdb");
        try (var c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
            st.execute(Schema.MIGRATIONS.get(0));
            st.execute(Schema.MIGRATIONS.get(1));
            st.execute("INSERT INTO herd_meta VALUES ('schema_version', '2')");
            st.execute("INSERT INTO eval_runs (id, model) VALUES (7, 'm')");
        }
        try (Store s = Store.open(file)) {
            assertEquals(Schema.VERSION, s.version());
            assertEquals(1, s.count("SELECT count(*) FROM eval_runs WHERE id = 7"));
            assertEquals(List.of(), new Tables(s).rounds());
        }
    }

    @Test
    void aVersionThreeStoreGainsPromptAnswersAndVerifiers() throws Exception {
        Path file = tmp.resolve("v3.duckdb");
        try (var c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
            for (int v = 0; v < 3; v++) {
                st.execute(Schema.MIGRATIONS.get(v));
            }
            st.execute("INSERT INTO herd_meta VALUES ('schema_version', '3')");
            st.execute("INSERT INTO prompts (id, prompt, source) VALUES (1, 'old', 'seed')");
        }
        try (Store s = Store.open(file)) {
            assertEquals(Schema.VERSION, s.version(), "upgraded through every later migration");
            Tables t = new Tables(s);
            assertEquals(new PromptRow(1, "old", null, "seed", null, null, null), t.prompts(null).get(0));
            t.addPrompts(List.of(new PromptRow(0, "6 x 7?", null, "seed", null, null, null, "42", "numeric")));
            PromptRow added = t.prompts("id = 2").get(0);
            assertEquals("42", added.answer());
            assertEquals("numeric", added.verifier());
        }
    }

    @Test
    void olderStoresAreMigratedKeepingTheirRows() throws Exception {
        Path file = tmp.resolve("v1.duckdb");
        // Build a version-1 store by hand, as Herd 0.1 wrote it.
        try (var c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
            st.execute(Schema.MIGRATIONS.get(0));
            st.execute("INSERT INTO herd_meta VALUES ('schema_version', '1')");
            st.execute("INSERT INTO prompts (id, prompt) VALUES (1, 'kept')");
        }
        try (Store s = Store.open(file)) {
            assertEquals(Schema.VERSION, s.version());
            assertEquals("kept", new Tables(s).prompts(null).get(0).prompt());
            assertEquals(0, s.count("SELECT count(*) FROM eval_runs"));
        }
    }

    @Test
    void newerOrForeignDatabasesAreRefusedClearly() throws Exception {
        Path newer = tmp.resolve("newer.duckdb");
        try (Store s = Store.open(newer)) {
            s.update("UPDATE herd_meta SET value = '99' WHERE key = 'schema_version'");
        }
        HerdInputException e = assertThrows(HerdInputException.class, () -> Store.open(newer));
        assertTrue(e.getMessage().contains("newer Herd") && e.getMessage().contains("v99"), e.getMessage());

        Path foreign = tmp.resolve("foreign.duckdb");
        try (var c = DriverManager.getConnection("jdbc:duckdb:" + foreign); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (x INT)");
        }
        assertTrue(assertThrows(HerdInputException.class, () -> Store.open(foreign)).getMessage().contains("not a Herd store"));
    }

    @Test
    void apiWritesKeepLineage() {
        try (Store s = Store.open(tmp.resolve("l.duckdb"))) {
            Tables t = new Tables(s);
            long run = t.startRun(1, "sample", "rs-round-1", "{\"k\": 4}", "{\"prompts\": 1}");
            long prompt = t.addPrompts(List.of(PromptRow.text("2+2?", "seed"))).get(0);
            List<Long> samples = t.addSamples(List.of(new SampleRow(0, prompt, "4", "policy-r0", 1, null, "{\"temperature\": 1.0}", run),
                    new SampleRow(0, prompt, "5", "policy-r0", 1, null, "{\"temperature\": 1.0}", run)));
            t.addScores(List.of(new Score(samples.get(0), "rm-v1", 2.5, run), new Score(samples.get(1), "rm-v1", -1.0, run)));
            t.addSft(List.of(new SftExample(0, List.of(ChatMessage.user("2+2?"), ChatMessage.assistant("4")),
                    "rejection_sampling", 1, null, null, null, null, 2.5, samples.get(0))), run);
            t.finishRun(run, "models/r1", "{\"mean_best\": 2.5}", "done");
            // The SFT row leads back to its sample, the sample's score and the run that made them.
            assertEquals(1, s.count("SELECT count(*) FROM sft JOIN samples ON sft.sample_id = samples.id "
                    + "JOIN scores ON scores.sample_id = samples.id JOIN runs ON runs.id = sft.run_id "
                    + "WHERE scores.value = 2.5 AND samples.response = '4' AND runs.name = 'rs-round-1'"));
            assertEquals(1, s.count("SELECT count(*) FROM runs WHERE status = 'done' AND finished_at IS NOT NULL"));
        }
    }

    @Test
    void nestedWritesAreOneTransaction() {
        try (Store s = Store.open(tmp.resolve("n.duckdb"))) {
            Tables t = new Tables(s);
            long prompt = t.addPrompts(List.of(PromptRow.text("q", "seed"))).get(0);
            long run = t.startRun(1, "sample", "rs", "{}", "{}");
            // Samples, their scores and the run's end as one unit: a failure after the first write keeps none.
            assertThrows(IllegalStateException.class, () -> s.inTransaction(() -> {
                List<Long> ids = t.addSamples(List.of(new SampleRow(0, prompt, "a", "m", 1, null, "{}", run)));
                t.addScores(List.of(new Score(ids.get(0), "rm", 1.0, run)));
                throw new IllegalStateException("killed");
            }));
            assertEquals(0, s.count("SELECT count(*) FROM samples"));
            assertEquals(0, s.count("SELECT count(*) FROM scores"));
            s.inTransaction(() -> {
                List<Long> ids = t.addSamples(List.of(new SampleRow(0, prompt, "a", "m", 1, null, "{}", run)));
                t.addScores(List.of(new Score(ids.get(0), "rm", 1.0, run)));
                t.finishRun(run, null, "{}", "done");
                return null;
            });
            assertEquals(1, s.count("SELECT count(*) FROM samples JOIN scores ON scores.sample_id = samples.id"));
            assertTrue(t.runs("id = " + run).get(0).done());
        }
    }

    @Test
    void bestSamplesPicksTheTopScorePerPromptWithTiesToTheEarliest() {
        try (Store s = Store.open(tmp.resolve("b.duckdb"))) {
            Tables t = new Tables(s);
            List<Long> prompts = t.addPrompts(List.of(PromptRow.text("p1", null), PromptRow.text("p2", null), PromptRow.text("p3", null)));
            List<SampleRow> rows = new java.util.ArrayList<>();
            String[] responses = {"a", "b", "c", "d", "e", "f"};
            long[] promptOf = {prompts.get(0), prompts.get(0), prompts.get(0), prompts.get(1), prompts.get(1), prompts.get(2)};
            for (int i = 0; i < responses.length; i++) {
                rows.add(new SampleRow(0, promptOf[i], responses[i], "m", i < 5 ? 1 : 2, null, null, null));
            }
            List<Long> ids = t.addSamples(rows);
            double[] rm = {0.5, 2.0, 1.0, 3.0, 3.0, 9.0};
            List<Score> scores = new java.util.ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                scores.add(new Score(ids.get(i), "rm", rm[i], null));
                scores.add(new Score(ids.get(i), "judge", -rm[i], null));   // another scorer must not interfere
            }
            t.addScores(scores);
            List<ScoredSample> best = t.bestSamples("rm", null);
            // Reference: the arg-max per prompt computed by hand from the arrays above.
            assertEquals(List.of("b", "d", "f"), best.stream().map(b -> b.sample().response()).toList());
            assertEquals(List.of(2.0, 3.0, 9.0), best.stream().map(ScoredSample::score).toList());
            assertEquals(List.of("a", "d"), t.bestSamples("judge", "round = 1").stream().map(b -> b.sample().response()).toList());
            assertEquals(List.of(), t.bestSamples("verifier", null));
            assertEquals(12, t.scores(null).size());
            assertEquals(List.of(new Score(ids.get(5), "rm", 9.0, null)), t.scores("scorer = 'rm' AND value > 5"));
        }
    }

    @Test
    void aKilledRunIsDiscardedAndRoundsTrackThePolicy() {
        try (Store s = Store.open(tmp.resolve("r.duckdb"))) {
            Tables t = new Tables(s);
            t.startRound(1, "models/sft-seed", "{\"k\": 4}");
            long prompt = t.addPrompts(List.of(PromptRow.text("q", null))).get(0);
            long done = t.startRun(1, "sample", "rs", "{}", "{}");
            long kept = t.addSamples(List.of(new SampleRow(0, prompt, "kept", "m", 1, null, null, done))).get(0);
            t.finishRun(done, null, "{}", "done");
            long killed = t.startRun(1, "sft", "sft-a", "{}", "{}");
            long lost = t.addSamples(List.of(new SampleRow(0, prompt, "partial", "m", 1, null, null, killed))).get(0);
            t.addScores(List.of(new Score(lost, "rm", 1.0, null), new Score(kept, "rm", 2.0, done)));
            t.addSft(List.of(SftExample.of(List.of(ChatMessage.user("q"), ChatMessage.assistant("partial")), "rejection_sampling")), killed);
            t.addPreferences(List.of(new Preference(0, List.of(ChatMessage.user("q")), "x", "y", null, null, null, 1, null)), killed);

            assertEquals(4, t.discardRun(killed));
            assertEquals(List.of("kept"), t.samples(null).stream().map(SampleRow::response).toList());
            assertEquals(List.of(new Score(kept, "rm", 2.0, done)), t.scores(null));
            assertEquals(0, s.count("SELECT count(*) FROM sft") + s.count("SELECT count(*) FROM preferences"));
            assertEquals("discarded", t.runs("id = " + killed).get(0).status());
            // Ids freed by the discard can be written again by the rerun.
            long rerun = t.startRun(1, "sft", "sft-a", "{}", "{}");
            assertEquals(List.of(lost), t.addSamples(List.of(new SampleRow(0, prompt, "again", "m", 1, null, null, rerun))));
            t.finishRun(rerun, "models/r1-sft", "{\"loss\": 1.5}", "done");
            assertEquals(rerun, t.finishedRun(1, "sft", "sft-a").orElseThrow().id());
            assertEquals("models/r1-sft", t.finishedRun(1, "sft", "sft-a").orElseThrow().output());
            assertTrue(t.finishedRun(1, "sft", "sft-b").isEmpty());
            assertTrue(t.finishedRun(2, "sft", "sft-a").isEmpty());

            t.startRound(1, "models/sft-seed-2", null);   // a restarted round starts again
            t.finishRound(1, "models/r1-dpo", "{\"score\": 0.7}");
            assertEquals(List.of(new RoundRow(1, "models/sft-seed-2", "models/r1-dpo", "done", null, "{\"score\": 0.7}")), t.rounds());
            HerdInputException e = assertThrows(HerdInputException.class, () -> t.startRound(1, "x", null));
            assertTrue(e.getMessage().contains("round 1 is already finished"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> t.finishRound(2, "x", null));
            long outside = t.startRun(null, "curate", "by hand", null, null);   // runs need not belong to a round
            assertEquals(new RunRow(outside, null, "curate", "by hand", null, null, null, null, "running"), t.runs("id = " + outside).get(0));
        }
    }
}
