package dev.herd.llama.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.cli.AverageCommand;
import dev.herd.llama.cli.CliRun;
import dev.herd.llama.cli.MergeCommand;
import dev.herd.llama.io.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herd merge} and {@code herd average} on adapter folders, as a user runs them. */
class MergeAndAverageTest {

    static Path adapter(Path tmp, String name, Map<String, float[]> values) {
        Path base = tmp.resolve("base");
        Path out = tmp.resolve(name);
        try (LlamaModel model = LlamaAdapted.base(base)) {
            LoraAdapters a = LoraAdapters.of(model, AdapterFolderTest.QV, (n, shape) -> values.get(n));
            AdapterFolder.save(out, a, base, AdapterFolder.CAUSAL_LM, Map.of(), base, t -> {});
        }
        return out;
    }

    @Test
    void mergeWritesAPlainModelFolderComputingBasePlusAdapter(@TempDir Path tmp) {
        Map<String, float[]> values = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, AdapterFolderTest.QV, 1);
        Path adapter = adapter(tmp, "adapter", values);
        Path out = tmp.resolve("merged");
        CliRun run = CliRun.of(new MergeCommand(), "--base", tmp.resolve("base").toString(), "--adapter", adapter.toString(),
                "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.exists(out.resolve("config.json")) && Files.exists(out.resolve("model.safetensors")));
        assertFalse(Files.exists(out.resolve("adapter_config.json")), "a plain HF folder");
        int[][] rows = {LoraAdaptersTest.ids(2, 12)};
        float[] expected;
        float[] base;
        try (LlamaModel model = ModelFolder.load(tmp.resolve("base"), Device.cpu()); NDManager m = model.newStepManager()) {
            base = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
            model.useAdapters(LoraAdapters.of(model, AdapterFolderTest.QV, (n, shape) -> values.get(n)));
            expected = model.forward(TokenBatch.causal(m, rows)).toFloatArray();
        }
        try (LlamaModel merged = ModelFolder.load(out, Device.cpu()); NDManager m = merged.newStepManager()) {
            float[] got = merged.forward(TokenBatch.causal(m, rows)).toFloatArray();
            assertTrue(LoraAdaptersTest.maxDiff(expected, got) < 1e-4, "merged: " + LoraAdaptersTest.maxDiff(expected, got));
            assertTrue(LoraAdaptersTest.maxDiff(base, got) > 1e-2, "not the base");
        }
    }

    @Test
    void aBadAdapterIsOneLineAndExitTwoAndWritesNothing(@TempDir Path tmp) throws Exception {
        Map<String, float[]> values = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, AdapterFolderTest.QV, 3);
        Path adapter = adapter(tmp, "adapter", values);
        AdapterFolderTest.rewrite(adapter, t -> t.remove("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"));
        Path out = tmp.resolve("merged");
        CliRun run = CliRun.of(new MergeCommand(), "--base", tmp.resolve("base").toString(), "--adapter", adapter.toString(),
                "--out", out.toString());
        assertEquals(2, run.code());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("no tensor base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"), run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void averageTakesTheMeanOfEachAdapterFactorAndRefusesAMix(@TempDir Path tmp) {
        Map<String, float[]> v1 = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, AdapterFolderTest.QV, 4);
        Map<String, float[]> v2 = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, AdapterFolderTest.QV, 5);
        Path a1 = adapter(tmp, "a1", v1);
        Path a2 = adapter(tmp, "a2", v2);
        Path out = tmp.resolve("mean");
        CliRun run = CliRun.of(new AverageCommand(), "--out", out.toString(), "--weights", "1,3", a1.toString(), a2.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.exists(out.resolve("adapter_config.json")));
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(v1.keySet(), r.tensors().keySet());
            for (String n : v1.keySet()) {
                float[] want = new float[v1.get(n).length];
                for (int i = 0; i < want.length; i++) {
                    want[i] = (float) (0.25 * v1.get(n)[i] + 0.75 * v2.get(n)[i]);
                }
                assertArrayEquals(want, r.readFloats(n), 1e-6f, n);
            }
        }
        CliRun mix = CliRun.of(new AverageCommand(), "--out", tmp.resolve("mix").toString(), a1.toString(), tmp.resolve("base").toString());
        assertEquals(2, mix.code());
        assertTrue(mix.err().contains("not a LoRA adapter folder"), mix.err());
    }
}
