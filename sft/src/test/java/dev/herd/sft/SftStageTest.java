package dev.herd.sft;

import dev.herd.sft.cli.SftCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.SftExample;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatMessage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** SFT's typed API: {@link SftConfig} from recipe JSON and the command line, and {@link SftStage#run} from Java. */
class SftStageTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRecipeObjectGivesTheDefaultsItLeavesAndTheOverridesItSets() throws Exception {
        SftConfig c = SftConfig.from(JSON.readTree("{\"max_steps\": 30, \"no-pack\": true, \"overlong\": \"drop\", \"lr\": 0.001}"),
                "recipe.json: stages.sft");
        assertEquals(30, c.training().maxSteps(), "max_steps is read as max-steps");
        assertEquals(1e-3, c.training().lr());
        assertFalse(c.pack());
        assertEquals(SftEncoder.Overlong.DROP, c.overlong());
        assertEquals(2048, c.training().maxSeqLen(), "a default");
        assertEquals(0.05, c.evalFraction());
        assertEquals("cpu", c.device());
        assertEquals(c, SftConfig.from(c.toJson(), "ledger"), "toJson reads back as the same config");
        assertEquals(SftConfig.defaults(), SftConfig.from(JSON.createObjectNode(), "x"));
    }

    @Test
    void anUnknownKeyOrABadValueIsOneLineNamingTheSource() throws Exception {
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> SftConfig.from(JSON.readTree("{\"lrr\": 0.1}"), "recipe.json: stages.sft"));
        assertTrue(e.getMessage().startsWith("recipe.json: stages.sft: unknown setting 'lrr'; known: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        e = assertThrows(HerdInputException.class, () -> SftConfig.from(JSON.readTree("{\"lr\": -1}"), "r.json"));
        assertEquals("r.json: lr must be positive, got -1.0", e.getMessage());
        e = assertThrows(HerdInputException.class, () -> SftConfig.from(JSON.readTree("{\"overlong\": \"wrap\"}"), "r.json"));
        assertEquals("r.json: overlong must be truncate or drop, got wrap", e.getMessage());
    }

    @Test
    void theStageRunsFromJavaAndReportsTheLastLoggedMetricsAlsoWhenResumed(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = SftTest.tiny(5)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            examples.add(SftExample.of(List.of(ChatMessage.user("What is " + i + " + 1?"), ChatMessage.assistant(String.valueOf(i + 1))),
                    i < 3 ? "test" : "train"));
        }
        SftConfig config = SftConfig.from(JSON.readTree("{\"lr\": 0.001, \"max-steps\": 2, \"batch-size\": 3, \"max-seq-len\": 64}"), "test");
        Path out = tmp.resolve("out");
        SftResult r = SftStage.run(base, examples, out, config);
        assertEquals(out, r.model());
        assertFalse(r.finishedBefore());
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        assertEquals(2.0, r.metrics().get("step"));
        assertTrue(r.metrics().get("loss") > 0 && r.metrics().get("eval_loss") > 0, r.metrics().toString());

        SftResult again = SftStage.run(base, examples, out, config);
        assertTrue(again.finishedBefore());
        assertEquals(r.metrics(), again.metrics(), "read back from the run's own log");
    }
}
