package dev.herd.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
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
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("pref-out." + format);
                assertEquals(3, new Exporter(store).export(Kind.PREFERENCE, format, out, null));
                try (Store again = Store.open(tmp.resolve("p2-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.PREFERENCE, List.of(out));
                    assertEquals(rows, new Tables(again).preferences(null), format);
                }
            }
        }
    }

    @Test
    void promptsAsTextOrMessagesRoundTrip() throws Exception {
        Path in = write("prompts.jsonl",
                "{\"prompt\": \"What is 2+2?\", \"source\": \"seed\", \"topic\": \"math\", \"difficulty\": \"easy\", \"split\": \"train\"}",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Terse.\"}, {\"role\": \"user\", \"content\": \"Name a prime.\"}]}",
                "{\"question\": \"Why is the sky blue?\", \"answer\": \"Rayleigh scattering\"}");
        try (Store store = Store.open(tmp.resolve("pr.duckdb"))) {
            assertEquals(3, new Importer(store).importFiles(Kind.PROMPTS, List.of(in)));
            List<PromptRow> rows = new Tables(store).prompts(null);
            assertEquals(new PromptRow(1, "What is 2+2?", null, "seed", "math", "easy", "train"), rows.get(0));
            assertEquals(List.of(ChatMessage.system("Terse."), ChatMessage.user("Name a prime.")), rows.get(1).asMessages());
            assertEquals(List.of(ChatMessage.user("Why is the sky blue?")), rows.get(2).asMessages());
            assertEquals("Rayleigh scattering", rows.get(2).answer());
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("prompts-out." + format);
                assertEquals(3, new Exporter(store).export(Kind.PROMPTS, format, out, null));
                try (Store again = Store.open(tmp.resolve("pr-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.PROMPTS, List.of(out));
                    assertEquals(rows, new Tables(again).prompts(null), format);
                }
            }
        }
    }

    @Test
    void promptsKeepTheirAnswerAndVerifierThroughExportAndImport() throws Exception {
        // GSM8K rows carry a worked solution ending "#### N" as answer: N is the answer (numeric), the solution is kept.
        Path in = write("verified.jsonl",
                "{\"prompt\": \"3 boxes of 4 eggs: how many eggs?\", \"answer\": 12, \"verifier\": \"numeric\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Say green in upper case.\"}], \"answer\": \"GREEN\", \"verifier\": \"exact\"}",
                "{\"question\": \"Natalia sold 48 clips, then half as many. Total?\", \"answer\": \"She sold 48/2 = 24 more.\\n#### 72\"}",
                "{\"prompt\": \"Pick a letter.\"}");
        try (Store store = Store.open(tmp.resolve("v.duckdb"))) {
            assertEquals(4, new Importer(store).importFiles(Kind.PROMPTS, List.of(in)));
            List<PromptRow> rows = new Tables(store).prompts(null);
            assertEquals(new PromptRow(1, "3 boxes of 4 eggs: how many eggs?", null, null, null, null, null, "12", "numeric"),
                    rows.get(0));
            assertEquals("GREEN", rows.get(1).answer());
            assertEquals("exact", rows.get(1).verifier());
            assertEquals("72", rows.get(2).answer());
            assertEquals("numeric", rows.get(2).verifier());
            assertEquals("She sold 48/2 = 24 more.\n#### 72", rows.get(2).solution());
            assertNull(rows.get(3).answer());
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("verified-out." + format);
                assertEquals(4, new Exporter(store).export(Kind.PROMPTS, format, out, null));
                try (Store again = Store.open(tmp.resolve("v-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.PROMPTS, List.of(out));
                    assertEquals(rows, new Tables(again).prompts(null), format);
                }
            }
        }
    }

    @Test
    void toolCallsAndContentPartsSurviveBothFormats() throws Exception {
        Path in = write("tools.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Weather \"}, {\"type\": \"text\", \"text\": \"in Paris?\"}]}, "
                        + "{\"role\": \"assistant\", \"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}}]}, "
                        + "{\"role\": \"ipython\", \"content\": \"18C\"}, {\"role\": \"assistant\", \"content\": \"It is 18C.\"}]}");
        try (Store store = Store.open(tmp.resolve("t.duckdb"))) {
            new Importer(store).importFiles(Kind.SFT, List.of(in));
            List<SftExample> rows = new Tables(store).sft(null);
            List<ChatMessage> m = rows.get(0).messages();
            assertEquals("Weather in Paris?", m.get(0).content(), "text parts are concatenated");
            assertEquals(java.util.Map.of("city", "Paris"), ((java.util.Map<?, ?>) m.get(1).toolCalls().get(0).get("function")).get("arguments"));
            assertNull(m.get(1).content());
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("tools-out." + format);
                new Exporter(store).export(Kind.SFT, format, out, null);
                try (Store again = Store.open(tmp.resolve("t-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.SFT, List.of(out));
                    assertEquals(rows, new Tables(again).sft(null), format);
                }
            }
            Path image = write("image.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\"}]}, "
                    + "{\"role\": \"assistant\", \"content\": \"A cat.\"}]}");
            HerdInputException e = assertThrows(HerdInputException.class, () -> new Importer(store).importFiles(Kind.SFT, List.of(image)));
            assertEquals(image + ":1: messages[0] has a content part of type 'image'; only text parts are supported", e.getMessage());
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
    void malformedPreferencesAndPromptsNameTheirLine() throws Exception {
        String good = "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}";
        String[][] prefs = {
            {"{\"prompt\": \"q\", \"chosen\": \"a\"}", "missing column 'rejected'"},
            // (An empty response is real data, kept and counted: realHhRlhfImportsWhole... A number is not one.)
            {"{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": 7}", "rejected"},
            {"{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"strength\": \"much better\"}", "strength 'much better' is not one of"},
            {"{\"chosen\": \"\\n\\nHuman: hi\\n\\nAssistant: yo\", \"rejected\": \"\\n\\nHuman: hey\\n\\nAssistant: no\"}",
                "must be the same conversation up to a final assistant turn"},
            {"{\"prompt\": [{\"role\": \"assistant\", \"content\": \"x\"}], \"chosen\": \"a\", \"rejected\": \"b\"}", "must end with a user"},
            {"[1, 2]", "expected a JSON object"},
        };
        try (Store store = Store.open(tmp.resolve("mp.duckdb"))) {
            for (String[] c : prefs) {
                Path bad = write("bad-pref.jsonl", good, c[0]);
                HerdInputException e = assertThrows(HerdInputException.class,
                        () -> new Importer(store).importFiles(Kind.PREFERENCE, List.of(bad)));
                assertTrue(e.getMessage().startsWith(bad + ":2: ") && e.getMessage().contains(c[1]), e.getMessage());
                assertEquals(0, store.count("SELECT count(*) FROM preferences"));
            }
            Path bad = write("bad-prompts.jsonl", "{\"prompt\": \"fine\"}", "{\"prompt\": \"   \"}");
            HerdInputException e = assertThrows(HerdInputException.class,
                    () -> new Importer(store).importFiles(Kind.PROMPTS, List.of(bad)));
            assertEquals(bad + ":2: column 'prompt' must be non-empty text or a message list", e.getMessage());
            assertEquals(0, store.count("SELECT count(*) FROM prompts"));
        }
    }

    @Test
    void badParquetRowsAndBrokenFilesKeepNothing() throws Exception {
        try (Store store = Store.open(tmp.resolve("bp.duckdb"))) {
            Path parquet = tmp.resolve("bad.parquet");
            // Row 3 has a message with an unknown role.
            store.update("COPY (SELECT * FROM (VALUES (1, [{'role': 'user', 'content': 'a'}, {'role': 'assistant', 'content': 'b'}]), "
                    + "(2, [{'role': 'user', 'content': 'c'}, {'role': 'assistant', 'content': 'd'}]), "
                    + "(3, [{'role': 'human', 'content': 'e'}, {'role': 'assistant', 'content': 'f'}])) t(n, messages) ORDER BY n) "
                    + "TO '" + parquet + "' (FORMAT PARQUET)");
            HerdInputException e = assertThrows(HerdInputException.class, () -> new Importer(store).importFiles(Kind.SFT, List.of(parquet)));
            assertTrue(e.getMessage().startsWith(parquet + ": row 3: messages[0] has role 'human'"), e.getMessage());
            assertEquals(0, store.count("SELECT count(*) FROM sft"));

            Path notParquet = write("fake.parquet", "{\"messages\": []}");
            e = assertThrows(HerdInputException.class, () -> new Importer(store).importFiles(Kind.SFT, List.of(notParquet)));
            assertTrue(e.getMessage().startsWith(notParquet + ": not a readable Parquet file"), e.getMessage());

            // A gzip file cut short: the error names the file and the line where reading broke.
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                big.append("{\"prompt\": \"question number ").append(i).append(" with some padding text\"}\n");
            }
            byte[] gz;
            try (var bytes = new java.io.ByteArrayOutputStream(); var out = new java.util.zip.GZIPOutputStream(bytes)) {
                out.write(big.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                out.finish();
                gz = bytes.toByteArray();
            }
            Path cut = tmp.resolve("cut.jsonl.gz");
            Files.write(cut, java.util.Arrays.copyOf(gz, gz.length / 2));
            e = assertThrows(HerdInputException.class, () -> new Importer(store).importFiles(Kind.PROMPTS, List.of(cut)));
            assertTrue(e.getMessage().matches(java.util.regex.Pattern.quote(cut.toString()) + ":\\d+: cannot read: .*"), e.getMessage());
            assertEquals(0, store.count("SELECT count(*) FROM prompts"));

            Path notGz = write("plain.jsonl.gz", "{\"prompt\": \"x\"}");
            e = assertThrows(HerdInputException.class, () -> new Importer(store).importFiles(Kind.PROMPTS, List.of(notGz)));
            assertTrue(e.getMessage().startsWith(notGz + ": not a gzip file"), e.getMessage());
            assertEquals(0, store.count("SELECT count(*) FROM imports"));
        }
    }

    @Test
    void realHhRlhfImportsWholeAsTrlReadsItAndSurvivesExportAndImport() throws Exception {
        Path hh = dev.herd.llama.TestPaths.shared().resolve("benchmarks/hh-rlhf/harmless-base-test.jsonl.gz");
        try (Store store = Store.open(tmp.resolve("hh.duckdb"))) {
            // All 2,312 pairs, as TRL reads them: four end in an empty assistant turn (real, bad answers) and five
            // have one side answer in two assistant turns; they are counted, not refused.
            Importer importer = new Importer(store);
            assertEquals(2312, importer.importFiles(Kind.PREFERENCE, List.of(hh)));
            assertEquals(java.util.Map.of(RecordParser.EMPTY_RESPONSE, 4L, RecordParser.JOINED_TURNS, 5L), importer.notes());
            List<Preference> all = new Tables(store).preferences(null);
            assertEquals(4, all.stream().filter(p -> p.chosen().isEmpty() || p.rejected().isEmpty()).count());
            // Line 87's chosen answer is the empty one; its prompt ends with the user's last question.
            Preference p87 = all.get(86);
            assertEquals("", p87.chosen());
            assertTrue(p87.rejected().startsWith("Sure, the address is"), p87.rejected());
            assertEquals("user", p87.prompt().get(p87.prompt().size() - 1).role());
            // Line 1255: chosen answers in two assistant turns after the shared prompt (which ends with a user turn).
            Preference p1255 = all.get(1254);
            assertEquals("user", p1255.prompt().get(p1255.prompt().size() - 1).role());
            assertTrue(p1255.chosen().contains("\n\n"), p1255.chosen());
            Preference first = all.get(0);
            assertEquals("user", first.prompt().get(0).role());
            assertTrue(!first.chosen().equals(first.rejected()));
            // Multi-turn dialogues keep their earlier assistant turns in the prompt.
            assertTrue(store.count("SELECT count(*) FROM preferences WHERE json_array_length(prompt) > 1") > 500);
            Path out = tmp.resolve("hh-out.jsonl");
            assertEquals(2312, new Exporter(store).export(Kind.PREFERENCE, "jsonl", out, null));
            try (Store again = Store.open(tmp.resolve("hh-again.duckdb"))) {
                assertEquals(2312, new Importer(again).importFiles(Kind.PREFERENCE, List.of(out)));
                assertEquals(all, new Tables(again).preferences(null));
            }
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
