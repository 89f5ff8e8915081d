package dev.herd.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.HerdInputException;
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
}
