package dev.herd.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.llama.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IFEval's own layout imported as prompts: each keeps its instruction ids and kwargs for verify:ifeval. */
class IfEvalImportTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void the541PromptsKeepTheirInstructionsThroughImportAndExport() throws Exception {
        Path file = TestPaths.shared().resolve("benchmarks/ifeval/input_data.jsonl");
        List<String> lines = Files.readAllLines(file);
        try (Store store = Store.open(tmp.resolve("p.duckdb"))) {
            assertEquals(541, new Importer(store).importFiles(Kind.PROMPTS, List.of(file)));
            List<PromptRow> rows = new Tables(store).prompts(null);
            assertEquals(541, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                JsonNode source = JSON.readTree(lines.get(i));
                PromptRow r = rows.get(i);
                assertEquals(List.of(dev.herd.llama.chat.ChatMessage.user(source.get("prompt").asText())), r.messages());
                assertEquals("ifeval", r.verifier());
                JsonNode kept = JSON.readTree(r.answer());
                assertEquals(source.get("instruction_id_list"), kept.get("instruction_id_list"), "row " + i);
                assertEquals(source.get("kwargs"), kept.get("kwargs"), "row " + i);
            }
            for (String format : List.of("jsonl", "parquet")) {
                Path out = tmp.resolve("out." + format);
                assertEquals(541, new Exporter(store).export(Kind.PROMPTS, format, out, null));
                try (Store again = Store.open(tmp.resolve("again-" + format + ".duckdb"))) {
                    new Importer(again).importFiles(Kind.PROMPTS, List.of(out));
                    assertEquals(rows, new Tables(again).prompts(null), format);
                }
            }
        }
    }

    @Test
    void kwargsThatDoNotMatchTheInstructionsNameTheLineAndKeepNothing() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"key\": 1, \"prompt\": \"Hi\", \"instruction_id_list\": [\"punctuation:no_comma\"], \"kwargs\": [{}]}\n"
                + "{\"key\": 2, \"prompt\": \"Hi\", \"instruction_id_list\": [\"punctuation:no_comma\", \"startend:quotation\"], "
                + "\"kwargs\": [{}]}\n");
        try (Store store = Store.open(tmp.resolve("b.duckdb"))) {
            HerdInputException e = assertThrows(HerdInputException.class,
                    () -> new Importer(store).importFiles(Kind.PROMPTS, List.of(bad)));
            assertTrue(e.getMessage().contains("bad.jsonl:2: column 'kwargs' must be a list of one object per instruction (2)"),
                    e.getMessage());
            assertEquals(0, new Tables(store).prompts(null).size());
        }
    }
}
