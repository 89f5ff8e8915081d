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

    /** {code, stdout, stderr} of the command as a user runs it. */
    static String[] run(String... args) {
        CliRun r = CliRun.of(new DataCommand(), args);
        return new String[] {String.valueOf(r.code()), r.out(), r.err()};
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
}
