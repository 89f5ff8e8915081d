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
import java.util.Map;
import dev.herd.llama.io.SafetensorsReader;
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

    @Test
    void loraTrainsOnlyAdaptersWritesAPeftFolderAndResumesFromAdapterCheckpoints(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = SftTest.tiny(5)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        String baseFingerprint = ModelFolder.fingerprint(base);
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            examples.add(SftExample.of(List.of(ChatMessage.user("What is " + i + " + 1?"), ChatMessage.assistant(String.valueOf(i + 1))),
                    "train"));
        }
        SftConfig config = SftConfig.from(JSON.readTree("{\"lr\": 0.01, \"max-steps\": 4, \"save-every\": 2, \"batch-size\": 3, "
                + "\"max-seq-len\": 64, \"lora-r\": 4, \"lora-alpha\": 8, \"lora-targets\": \"q,v,down\"}"), "test");
        assertEquals(new dev.herd.llama.lora.LoraConfig(4, 8, 0, dev.herd.llama.lora.LoraConfig.targets("q,v,down")), config.lora());
        assertEquals(config, SftConfig.from(config.toJson(), "ledger"));
        Path out = tmp.resolve("out");
        SftStage.run(base, examples, out, config);
        assertTrue(Files.exists(out.resolve("adapter_config.json")) && Files.exists(out.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "no copy of the base");
        assertEquals(baseFingerprint, ModelFolder.fingerprint(base), "the base is frozen");
        Path ckpt = tmp.resolve("out.ckpt/step-00000002");
        try (SafetensorsReader p = SafetensorsReader.open(ckpt.resolve("params.safetensors"));
             SafetensorsReader o = SafetensorsReader.open(ckpt.resolve("optimizer.safetensors"))) {
            assertEquals(2 * 3 * 2, p.tensors().size(), "A and B of 3 targets on 2 layers, nothing else: " + p.tensors().keySet());
            assertTrue(p.tensors().keySet().stream().allMatch(n -> n.contains(".lora_")), p.tensors().keySet().toString());
            assertEquals(2 * p.tensors().size(), o.tensors().size(), "two moments per adapter array, none for the base");
        }
        Map<String, float[]> straight = adapterValues(out);
        // The adapters moved away from B = 0, so the adapted model is no longer the base.
        assertTrue(straight.entrySet().stream().anyMatch(e -> e.getKey().contains("lora_B") && maxAbs(e.getValue()) > 0));

        // A crash after step 2: the last checkpoint and the output are gone; the re-run resumes at step 2 and ends
        // with the same adapters, bit for bit.
        ModelFolder.deleteTree(tmp.resolve("out.ckpt/step-00000004"));
        ModelFolder.deleteTree(out);
        SftResult resumed = SftStage.run(base, examples, out, config);
        assertFalse(resumed.finishedBefore());
        Map<String, float[]> again = adapterValues(out);
        assertEquals(straight.keySet(), again.keySet());
        straight.forEach((k, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(v, again.get(k), k));
    }

    static Map<String, float[]> adapterValues(Path dir) {
        Map<String, float[]> out = new java.util.TreeMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            r.tensors().keySet().forEach(n -> out.put(n, r.readFloats(n)));
        }
        return out;
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
