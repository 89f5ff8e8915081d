package dev.herd.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportTest {

    @TempDir
    Path tmp;

    Path write(String name, String... lines) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void sftInBothLayoutsRoundTripsThroughJsonlAndParquet() throws Exception {
        Path in = write("sft.jsonl",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"2+3?\"}, {\"role\": \"assistant\", \"content\": \"5\"}], \"round\": 1, \"origin\": \"human\"}",
                "",
                "{\"prompt\": \"Capital of France?\", \"completion\": \"Paris.\", \"source\": \"geo\", \"score\": 0.5}");
        try (Store store = Store.open(tmp.resolve("a.duckdb"))) {
            assertEquals(2, new Importer(store).importFiles(Kind.SFT, List.of(in)));
            List<SftExample> rows = new Tables(store).sft(null);
            assertEquals(List.of(ChatMessage.system("Be brief."), ChatMessage.user("2+3?"), ChatMessage.assistant("5")),
                    rows.get(0).messages());
            assertEquals(1, rows.get(0).round());
            assertEquals(List.of(ChatMessage.user("Capital of France?"), ChatMessage.assistant("Paris.")), rows.get(1).messages());
            assertEquals(0.5, rows.get(1).score());
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("out." + format);
                assertEquals(2, new Exporter(store).export(Kind.SFT, format, out, null));
                try (Store again = Store.open(tmp.resolve("b-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.SFT, List.of(out));
                    assertEquals(strip(rows), strip(new Tables(again).sft(null)), format);
                }
            }
            assertEquals(1, new Exporter(store).export(Kind.SFT, "jsonl", tmp.resolve("w.jsonl"), "source = 'geo'"));
        }
    }

    static List<SftExample> strip(List<SftExample> rows) {
        return rows.stream().map(r -> new SftExample(r.id(), r.messages(), r.origin(), r.round(), r.source(), r.topic(),
                r.difficulty(), r.split(), r.score(), null)).toList();
    }

    @Test
    void preferencesWithExplicitOrImplicitPromptsRoundTrip() throws Exception {
        Path in = write("pref.jsonl",
                "{\"prompt\": \"Sum 2+2\", \"chosen\": \"4\", \"rejected\": \"5\", \"edited\": \"2 + 2 = 4\", \"strength\": \"significantly better\"}",
                "{\"chosen\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}], "
                        + "\"rejected\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Go away.\"}], \"strength\": \"slightly_better\"}",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"Q\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"A\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"B\"}]}");
        try (Store store = Store.open(tmp.resolve("p.duckdb"))) {
            new Importer(store).importFiles(Kind.PREFERENCE, List.of(in));
            List<Preference> rows = new Tables(store).preferences(null);
            assertEquals(List.of("2 + 2 = 4", "4", "5"), rows.get(0).ranked());
            assertEquals(Strength.SIGNIFICANTLY_BETTER, rows.get(0).strength());
            assertEquals(List.of(ChatMessage.user("Hi")), rows.get(1).prompt());
            assertEquals("Go away.", rows.get(1).rejected());
            assertEquals(Strength.SLIGHTLY_BETTER, rows.get(1).strength());
            assertNull(rows.get(2).strength());
            Path out = tmp.resolve("pref-out.jsonl");
            new Exporter(store).export(Kind.PREFERENCE, "jsonl", out, null);
            try (Store again = Store.open(tmp.resolve("p2.duckdb"))) {
                new Importer(again).importFiles(Kind.PREFERENCE, List.of(out));
                assertEquals(rows, new Tables(again).preferences(null));
            }
        }
    }

    @Test
    void malformedLinesStopTheImportWithFileAndLineAndKeepNothing() throws Exception {
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}";
        Path ok = write("ok.jsonl", good, good);
        String[][] cases = {
            {"{\"messages\": [", "bad JSON"},
            {"{\"text\": \"no messages\"}", "missing column 'messages'"},
            {"{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}", "role 'robot'"},
            {"{\"messages\": [{\"role\": \"user\", \"content\": \"  \"}, {\"role\": \"assistant\", \"content\": \"b\"}]}", "empty content"},
        };
        try (Store store = Store.open(tmp.resolve("m.duckdb"))) {
            for (String[] c : cases) {
                Path bad = write("bad.jsonl", good, good, c[0], good);
                HerdInputException e = assertThrows(HerdInputException.class,
                        () -> new Importer(store).importFiles(Kind.SFT, List.of(ok, bad)));
                assertTrue(e.getMessage().startsWith(bad + ":3: ") && e.getMessage().contains(c[1]), e.getMessage());
                assertEquals(0, store.count("SELECT count(*) FROM sft"), "nothing of the import is kept");
                assertEquals(0, store.count("SELECT count(*) FROM imports"));
            }
            assertEquals(2, new Importer(store).importFiles(Kind.SFT, List.of(ok)));
        }
    }

    @Test
    void realHhRlhfDialoguesImportAsPreferences() throws Exception {
        Path hh = dev.herd.llama.TestPaths.shared().resolve("benchmarks/hh-rlhf/harmless-base-test.jsonl.gz");
        try (Store store = Store.open(tmp.resolve("hh.duckdb"))) {
            // Nine dialogues are malformed: four end in an empty assistant turn, five have chosen and rejected
            // diverging before the last turn. A strict import stops at the first, naming it ...
            HerdInputException e = assertThrows(HerdInputException.class,
                    () -> new Importer(store).importFiles(Kind.PREFERENCE, List.of(hh)));
            assertTrue(e.getMessage().contains("harmless-base-test.jsonl.gz:87: ") && e.getMessage().contains("empty"), e.getMessage());
            // ... and --skip-invalid keeps the other 2,303 and lists the nine.
            Importer lenient = new Importer(store, true);
            long kept = lenient.importFiles(Kind.PREFERENCE, List.of(hh));
            assertEquals(2303, kept, String.join("\n", lenient.skipped()));
            assertEquals(9, lenient.skipped().size());
            assertEquals(4, lenient.skipped().stream().filter(m -> m.contains("empty assistant turn")).count());
            Preference first = new Tables(store).preferences("id = 1").get(0);
            assertEquals("user", first.prompt().get(0).role());
            assertEquals("user", first.prompt().get(first.prompt().size() - 1).role());
            assertTrue(!first.chosen().equals(first.rejected()));
            // Multi-turn dialogues keep their earlier assistant turns in the prompt.
            assertTrue(store.count("SELECT count(*) FROM preferences WHERE json_array_length(prompt) > 1") > 500);
        }
    }

    @Test
    void realGsm8kQuestionsImportAsPrompts() throws Exception {
        Path gsm = dev.herd.llama.TestPaths.shared().resolve("benchmarks/gsm8k/test.jsonl");
        try (Store store = Store.open(tmp.resolve("g.duckdb"))) {
            assertEquals(1319, new Importer(store).importFiles(Kind.PROMPTS, List.of(gsm)));
            assertTrue(new Tables(store).prompts("id = 1").get(0).prompt().startsWith("Janet"));
        }
    }
}
