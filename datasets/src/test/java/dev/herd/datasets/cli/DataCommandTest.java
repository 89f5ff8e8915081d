package dev.herd.datasets.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.herd.llama.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {

    @TempDir
    Path tmp;

    /** Exit code, stdout, picocli's stderr (errors) and System.err (notes such as skipped records). */
    static String[] run(String... args) {
        CliRun r = CliRun.of(new DataCommand(), args);
        return new String[] {String.valueOf(r.code()), r.out(), r.err(), r.notes()};
    }

    @Test
    void importQueryExportAndABadLine() throws Exception {
        Path db = tmp.resolve("p.duckdb");
        Path in = tmp.resolve("sft.jsonl");
        Files.writeString(in, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n"
                + "{\"prompt\": \"c\", \"completion\": \"d\", \"round\": 2}\n");
        String[] r = run("import", "--db", db.toString(), "--kind", "sft", in.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("imported 2 sft rows"), r[1]);

        r = run("sql", "--db", db.toString(), "--json", "SELECT id, round, messages FROM sft ORDER BY id");
        assertEquals("0", r[0], r[2]);
        var rows = new ObjectMapper().readTree(r[1]);
        assertEquals(2, rows.size());
        assertEquals("b", rows.get(0).get("messages").get(1).get("content").asText());
        assertEquals(2, rows.get(1).get("round").asInt());

        r = run("sql", "--db", db.toString(), "SELECT count(*) AS n FROM sft");
        assertTrue(r[1].contains("n") && r[1].contains("2") && r[1].contains("(1 row)"), r[1]);

        Path out = tmp.resolve("out.parquet");
        r = run("export", "--db", db.toString(), "--kind", "sft", "--format", "parquet", "--out", out.toString(), "--where", "round = 2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("exported 1 rows"), r[1]);

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n{oops\n");
        r = run("import", "--db", db.toString(), "--kind", "sft", bad.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].trim().startsWith("herd: error: " + bad + ":2: bad JSON"), r[2]);
        assertEquals(1, r[2].trim().split("\n").length);

        r = run("sql", "--db", db.toString(), "SELEC nonsense");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("SQL error"), r[2]);

        r = run("stats", "--db", db.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("== rows") && r[1].contains("lengths"), r[1]);

        r = run("sql", "--db", tmp.resolve("missing.duckdb").toString(), "SELECT 1");
        assertEquals("2", r[0]);
    }

    @Test
    void exportThenImportGivesTheSameRows() throws Exception {
        Path db = tmp.resolve("a.duckdb");
        Path in = tmp.resolve("pref.jsonl");
        Files.writeString(in, """
                {"prompt": "2+2?", "chosen": "4", "rejected": "5", "edited": "2 + 2 = 4", "strength": "better", "round": 1}
                {"prompt": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}], "chosen": "Hello!", "rejected": "What.", "strength": "marginally_better"}
                this line is not JSON
                """);
        String[] r = run("import", "--db", db.toString(), "--kind", "preference", in.toString());
        assertEquals("2", r[0]);
        assertEquals("herd: error: " + in + ":3: bad JSON: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                r[2].trim());
        r = run("import", "--db", db.toString(), "--kind", "preference", "--skip-invalid", in.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("imported 2 preferences rows") && r[1].contains("(1 skipped)"), r[1]);
        assertTrue(r[3].startsWith("skipped " + in + ":3: bad JSON"), r[3]);

        String query = "SELECT prompt, chosen, rejected, edited, strength, round FROM preferences ORDER BY id";
        String before = run("sql", "--db", db.toString(), "--json", query)[1];
        for (String format : new String[] {"jsonl", "parquet"}) {
            Path out = tmp.resolve("out." + format);
            r = run("export", "--db", db.toString(), "--kind", "preference", "--format", format, "--out", out.toString());
            assertEquals("0", r[0], r[2]);
            Path db2 = tmp.resolve("b-" + format + ".duckdb");
            r = run("import", "--db", db2.toString(), "--kind", "preference", out.toString());
            assertEquals("0", r[0], r[2]);
            assertEquals(before, run("sql", "--db", db2.toString(), "--json", query)[1], format);
        }
        var rows = new ObjectMapper().readTree(before);
        assertEquals("Be kind.", rows.get(1).get("prompt").get(0).get("content").asText(), "JSON columns print as JSON");
        assertEquals("marginally better", rows.get(1).get("strength").asText());

        r = run("export", "--db", db.toString(), "--kind", "preference", "--format", "csv", "--out", tmp.resolve("x.csv").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--format must be jsonl or parquet"), r[2]);
        r = run("import", "--db", db.toString(), "--kind", "sft", tmp.resolve("missing.jsonl").toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].trim().endsWith("missing.jsonl: no such file"), r[2]);
    }

    @Test
    void curateDryRunThenForRealAndChangesThroughSql() throws Exception {
        Path db = tmp.resolve("c.duckdb");
        Path in = tmp.resolve("sft.jsonl");
        Files.writeString(in, """
                {"prompt": "a", "completion": "The same answer.", "score": 1.0}
                {"prompt": "b", "completion": "the same answer", "score": 2.0}
                {"prompt": "c", "completion": "I'm sorry, I apologize for that."}
                {"prompt": "d", "completion": "Fine."}
                """);
        assertEquals("0", run("import", "--db", db.toString(), "--kind", "sft", in.toString())[0]);
        Path config = tmp.resolve("curate.json");
        Files.writeString(config, """
                {"steps": [{"step": "dedup", "near": false}, {"step": "rules"}]}""");
        String[] r = run("curate", "--db", db.toString(), "--config", config.toString(), "--dry-run");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("dedup        exact=1 near=0") && r[1].contains("apologies=1") && r[1].contains("dry run"), r[1]);
        assertEquals("[{\"n\":0}]", run("sql", "--db", db.toString(), "--json", "SELECT count(*) AS n FROM sft WHERE removed_by IS NOT NULL")[1].trim());
        r = run("curate", "--db", db.toString(), "--config", config.toString());
        assertEquals("0", r[0], r[2]);
        // The lower-scored copy went; the kept one is the 2.0.
        assertEquals("[{\"removed_by\":\"dedup-exact\",\"score\":1.0},{\"removed_by\":\"rule:apologies\",\"score\":null}]",
                run("sql", "--db", db.toString(), "--json", "SELECT removed_by, score FROM sft WHERE removed_by IS NOT NULL ORDER BY id")[1].trim());

        r = run("sql", "--db", db.toString(), "UPDATE sft SET topic = 'misc' WHERE removed_by IS NULL");
        assertEquals("0", r[0], r[2]);
        assertEquals("(2 rows changed)", r[1].trim());

        r = run("stats", "--db", db.toString(), "--json");
        assertEquals("0", r[0], r[2]);
        var stats = new ObjectMapper().readTree(r[1]);
        assertTrue(stats.size() >= 8, r[1]);
        stats.forEach(section -> assertTrue(section.isArray(), section.toString()));
        assertTrue(stats.get("rows").toString().contains("{\"table\":\"sft\",\"active\":2,\"total\":4}"), r[1]);
        assertEquals("rule:apologies", stats.get("removed by curation").get(1).get("removed_by").asText());

        Files.writeString(config, "{\"steps\": [{\"step\": \"rules\", \"max-apologys\": 2}]}");
        r = run("curate", "--db", db.toString(), "--config", config.toString());
        assertEquals("2", r[0]);
        assertEquals(1, r[2].trim().split("\n").length, r[2]);
        assertTrue(r[2].contains("unknown key 'max-apologys' for step rules"), r[2]);
    }
}
