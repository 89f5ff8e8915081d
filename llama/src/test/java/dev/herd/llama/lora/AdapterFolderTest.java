package dev.herd.llama.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter folder as PEFT lays it out, read back; bad folders refused in one line. */
class AdapterFolderTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final LoraConfig QV = new LoraConfig(4, 8.0, 0.05, List.of(LoraTarget.Q, LoraTarget.V, LoraTarget.DOWN));

    /** The safetensors header, parsed from the bytes by hand: 8-byte little-endian length, then JSON. */
    static JsonNode header(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return JSON.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
    }

    static Path saved(Path tmp, Map<String, float[]> values) {
        Path base = tmp.resolve("base");
        Path out = tmp.resolve("adapter");
        try (LlamaModel model = LlamaAdapted.base(base)) {
            LoraAdapters a = LoraAdapters.of(model, QV, (name, shape) -> values.get(name));
            AdapterFolder.save(out, a, base, AdapterFolder.CAUSAL_LM, Map.of(), base, t -> {});
        }
        return out;
    }

    @Test
    void savedAdapterHasPeftsConfigNamesAndShapesAndLoadsBack(@TempDir Path tmp) throws IOException {
        Map<String, float[]> values = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, QV, 1);
        Path out = saved(tmp, values);
        JsonNode c = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", c.get("peft_type").asText());
        assertEquals("CAUSAL_LM", c.get("task_type").asText());
        assertEquals(4, c.get("r").asInt());
        assertEquals(8, c.get("lora_alpha").asInt());
        assertEquals(0.05, c.get("lora_dropout").asDouble());
        assertEquals("none", c.get("bias").asText());
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), List.of(c.get("target_modules").get(0).asText(),
                c.get("target_modules").get(1).asText(), c.get("target_modules").get(2).asText()));
        assertEquals(tmp.resolve("base").toAbsolutePath().normalize().toString(), c.get("base_model_name_or_path").asText());
        assertTrue(Files.exists(out.resolve("tokenizer.json")), "the base's tokenizer comes along");

        JsonNode h = header(out.resolve("adapter_model.safetensors"));
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = h.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("__metadata__")) {
                names.add(k);
            }
        }
        assertEquals(2 * 3 * 2, names.size(), "A and B for 3 targets on 2 layers: " + names);
        JsonNode q = h.get("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
        assertEquals("F32", q.get("dtype").asText());
        assertEquals("[4,32]", q.get("shape").toString(), "lora_A: [r, in]");
        assertEquals("[16,4]", h.get("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight").get("shape").toString(),
                "lora_B: [out (2 kv heads × 8), r]");
        assertEquals("[4,48]", h.get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").get("shape").toString());

        try (LlamaModel model = LlamaAdapted.base(tmp.resolve("base2"));
             LoraAdapters back = AdapterFolder.load(out, model, Set.of())) {
            assertEquals(QV.r(), back.lora().r());
            assertEquals(QV.alpha(), back.lora().alpha());
            assertEquals(QV.targets(), back.lora().targets());
            for (Map.Entry<String, NDArray> e : back.parameters().entrySet()) {
                assertArrayEquals(values.get(e.getKey()), e.getValue().toFloatArray(), e.getKey());
            }
        }
    }

    /** Rewrites the adapter's safetensors with {@code edit} applied to its tensors. */
    static void rewrite(Path adapter, java.util.function.Consumer<Map<String, float[][]>> edit) throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (var r = dev.herd.llama.io.SafetensorsReader.open(adapter.resolve("adapter_model.safetensors"))) {
            for (String n : r.tensors().keySet()) {
                values.put(n, r.readFloats(n));
                shapes.put(n, r.info(n).shape());
            }
        }
        Map<String, float[][]> both = new LinkedHashMap<>();
        values.forEach((k, v) -> both.put(k, new float[][] {v, toFloats(shapes.get(k))}));
        edit.accept(both);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        both.forEach((k, v) -> entries.add(new SafetensorsWriter.Entry(k, DType.F32, toLongs(v[1]), () -> v[0])));
        SafetensorsWriter.write(adapter.resolve("adapter_model.safetensors"), entries, Map.of());
    }

    static float[] toFloats(long[] s) {
        float[] f = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            f[i] = s[i];
        }
        return f;
    }

    static long[] toLongs(float[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            l[i] = (long) s[i];
        }
        return l;
    }

    static String refusal(Path adapter, Path tmp) {
        try (LlamaModel model = LlamaAdapted.base(tmp.resolve("base-" + System.nanoTime()))) {
            HerdInputException e = assertThrows(HerdInputException.class, () -> AdapterFolder.load(adapter, model, Set.of()));
            assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void badAdapterFoldersAreRefusedInOneLineNamingFileAndTensor(@TempDir Path tmp) throws IOException {
        Map<String, float[]> values = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, QV, 2);
        Path out = saved(tmp, values);
        String b0 = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

        rewrite(out, t -> t.remove(b0));
        String missing = refusal(out, tmp);
        assertTrue(missing.contains("adapter_model.safetensors") && missing.contains("no tensor " + b0), missing);

        Path out2 = saved(tmp.resolve("2"), values);
        rewrite(out2, t -> t.put(b0, new float[][] {new float[32 * 5], {32, 5}}));
        String shape = refusal(out2, tmp);
        assertTrue(shape.contains(b0) && shape.contains("[32, 5]") && shape.contains("r 4"), shape);

        Path out3 = saved(tmp.resolve("3"), values);
        ObjectNode c = (ObjectNode) JSON.readTree(out3.resolve("adapter_config.json").toFile());
        c.put("r", 8);
        Files.writeString(out3.resolve("adapter_config.json"), c.toString());
        String rank = refusal(out3, tmp);
        assertTrue(rank.contains("has shape [4, 32]") && rank.contains("r 8"), "r mismatch: " + rank);

        Path out4 = saved(tmp.resolve("4"), values);
        rewrite(out4, t -> t.put("base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight", new float[][] {new float[4 * 32], {4, 32}}));
        String extra = refusal(out4, tmp);
        assertTrue(extra.contains("unexpected tensor base_model.model.model.layers.7"), extra);

        Path out5 = saved(tmp.resolve("5"), values);
        Files.delete(out5.resolve("adapter_config.json"));
        assertTrue(refusal(out5, tmp).contains("no adapter_config.json"));

        Path out6 = saved(tmp.resolve("6"), values);
        ObjectNode c6 = (ObjectNode) JSON.readTree(out6.resolve("adapter_config.json").toFile());
        c6.putArray("target_modules").add("q_proj").add("lm_head");
        Files.writeString(out6.resolve("adapter_config.json"), c6.toString());
        assertTrue(refusal(out6, tmp).contains("target module 'lm_head'"));

        Path out7 = saved(tmp.resolve("7"), values);
        ObjectNode c7 = (ObjectNode) JSON.readTree(out7.resolve("adapter_config.json").toFile());
        c7.put("lora_dropout", 1.5);
        Files.writeString(out7.resolve("adapter_config.json"), c7.toString());
        String dropout = refusal(out7, tmp);
        assertTrue(dropout.contains("adapter_config.json") && dropout.contains("dropout must be in [0, 1)"), dropout);

        Path out8 = saved(tmp.resolve("8"), values);
        ObjectNode c8 = (ObjectNode) JSON.readTree(out8.resolve("adapter_config.json").toFile());
        c8.put("base_model_name_or_path", out8.toAbsolutePath().toString());
        Files.writeString(out8.resolve("adapter_config.json"), c8.toString());
        HerdInputException self = assertThrows(HerdInputException.class, () -> ModelFolder.load(out8, ai.djl.Device.cpu()));
        assertTrue(self.getMessage().contains("is not a model folder here"), "an adapter naming itself as its base: " + self.getMessage());
    }

    @Test
    void anAdapterFolderLoadsAsItsBaseWithTheAdapterMerged(@TempDir Path tmp) {
        Map<String, float[]> values = LoraAdaptersTest.randomAdapters(LoraAdaptersTest.CONFIG, QV, 3);
        Path out = saved(tmp, values);
        int[][] rows = {LoraAdaptersTest.ids(4, 10)};
        float[] expected;
        try (LlamaModel model = ModelFolder.load(tmp.resolve("base"), ai.djl.Device.cpu());
             var m = model.newStepManager()) {
            model.useAdapters(LoraAdapters.of(model, QV, (name, shape) -> values.get(name)));
            expected = model.forward(dev.herd.llama.TokenBatch.causal(m, rows)).toFloatArray();
        }
        try (LlamaModel merged = ModelFolder.load(out, ai.djl.Device.cpu()); var m = merged.newStepManager()) {
            float[] got = merged.forward(dev.herd.llama.TokenBatch.causal(m, rows)).toFloatArray();
            assertTrue(LoraAdaptersTest.maxDiff(expected, got) < 1e-4, "merged at load: " + LoraAdaptersTest.maxDiff(expected, got));
        }
    }
}
