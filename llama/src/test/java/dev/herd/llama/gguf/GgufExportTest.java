package dev.herd.llama.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.RopeScaling;
import dev.herd.llama.cli.CliRun;
import dev.herd.llama.cli.ExportCommand;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufExportTest {

    @TempDir
    Path tmp;

    // ---- an independent minimal GGUF reader, written from the spec ----

    record TensorEntry(String name, long[] dims, int type, long offset) {}

    record Parsed(int version, Map<String, Object> kvs, Map<String, Integer> kvTypes, List<TensorEntry> tensors,
                  long dataStart, ByteBuffer buf) {

        float f32(TensorEntry t, int i) {
            return buf.getFloat((int) (dataStart + t.offset + 4L * i));
        }

        float f16(TensorEntry t, int i) {
            return DType.halfToFloat(buf.getShort((int) (dataStart + t.offset + 2L * i)));
        }

        TensorEntry tensor(String name) {
            return tensors.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name));
        }
    }

    static Parsed parse(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("GGUF", new String(magic, StandardCharsets.US_ASCII));
        int version = b.getInt();
        long nTensors = b.getLong();
        long nKv = b.getLong();
        Map<String, Object> kvs = new LinkedHashMap<>();
        Map<String, Integer> types = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = str(b);
            int type = b.getInt();
            types.put(key, type);
            kvs.put(key, value(b, type));
        }
        List<TensorEntry> tensors = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = str(b);
            int nd = b.getInt();
            long[] dims = new long[nd];
            for (int d = 0; d < nd; d++) {
                dims[d] = b.getLong();
            }
            tensors.add(new TensorEntry(name, dims, b.getInt(), b.getLong()));
        }
        long start = (b.position() + 31) / 32 * 32;
        return new Parsed(version, kvs, types, tensors, start, b);
    }

    static String str(ByteBuffer b) {
        byte[] s = new byte[(int) b.getLong()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    static Object value(ByteBuffer b, int type) {
        return switch (type) {
            case 4 -> Integer.toUnsignedLong(b.getInt());
            case 5 -> b.getInt();
            case 6 -> b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> str(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                List<Object> l = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    l.add(value(b, et));
                }
                yield l;
            }
            default -> throw new AssertionError("unexpected value type " + type);
        };
    }

    // ---- a tiny model folder ----

    static final int HIDDEN = 32;
    static final int HEADS = 2;
    static final int KV = 1;
    static final int HD = 4;
    static final int FF = 12;
    static final int VOCAB = 10;

    Map<String, float[]> writeModel(Path dir, boolean tied) throws Exception {
        Files.createDirectories(dir);
        LlamaConfig c = new LlamaConfig(HIDDEN, FF, 1, HEADS, KV, HD, 1e-5, 500000.0, RopeScaling.llama31(), 4096, VOCAB,
                tied, 7, List.of(8, 9));
        Files.writeString(dir.resolve("config.json"), c.toJson());
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN});
        shapes.put("model.layers.0.input_layernorm.weight", new long[] {HIDDEN});
        shapes.put("model.layers.0.self_attn.q_proj.weight", new long[] {HEADS * HD, HIDDEN});
        shapes.put("model.layers.0.self_attn.k_proj.weight", new long[] {KV * HD, HIDDEN});
        shapes.put("model.layers.0.self_attn.v_proj.weight", new long[] {KV * HD, HIDDEN});
        shapes.put("model.layers.0.self_attn.o_proj.weight", new long[] {HIDDEN, HEADS * HD});
        shapes.put("model.layers.0.post_attention_layernorm.weight", new long[] {HIDDEN});
        shapes.put("model.layers.0.mlp.gate_proj.weight", new long[] {FF, HIDDEN});
        shapes.put("model.layers.0.mlp.up_proj.weight", new long[] {FF, HIDDEN});
        shapes.put("model.layers.0.mlp.down_proj.weight", new long[] {HIDDEN, FF});
        shapes.put("model.norm.weight", new long[] {HIDDEN});
        if (!tied) {
            shapes.put("lm_head.weight", new long[] {VOCAB, HIDDEN});
        }
        Random r = new Random(3);
        Map<String, float[]> data = new LinkedHashMap<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        shapes.forEach((name, shape) -> {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            data.put(name, v);
            entries.add(new SafetensorsWriter.Entry(name, DType.F32, shape, () -> v));
        });
        CheckpointFiles.write(dir, entries, CheckpointFiles.DEFAULT_MAX_SHARD_BYTES);
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4, "é": 5},
                           "merges": ["a b", ["Ġ", "a"]]},
                 "added_tokens": [{"id": 7, "content": "<|begin_of_text|>", "special": true},
                                  {"id": 8, "content": "<|end_of_text|>", "special": true},
                                  {"id": 9, "content": "<|eot_id|>", "special": true}]}
                """);
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": "{{ bos_token }}T"}
                """);
        return data;
    }

    @Test
    void writesHeaderKeysAndTensorInfosThatAnIndependentReaderParses() throws Exception {
        Path dir = tmp.resolve("m");
        Map<String, float[]> w = writeModel(dir, false);
        Path out = tmp.resolve("m.gguf");
        GgufExport.Result res = GgufExport.export(dir, out, GgufExport.Dtype.F16, "tiny");
        Parsed p = parse(out);
        assertEquals(3, p.version);
        Map<String, Object> kv = p.kvs;
        assertEquals("llama", kv.get("general.architecture"));
        assertEquals("tiny", kv.get("general.name"));
        assertEquals(4096L, kv.get("llama.context_length"));
        assertEquals((long) HIDDEN, kv.get("llama.embedding_length"));
        assertEquals(1L, kv.get("llama.block_count"));
        assertEquals((long) FF, kv.get("llama.feed_forward_length"));
        assertEquals((long) HEADS, kv.get("llama.attention.head_count"));
        assertEquals((long) KV, kv.get("llama.attention.head_count_kv"));
        assertEquals((long) HD, kv.get("llama.rope.dimension_count"));
        assertEquals(500000f, kv.get("llama.rope.freq_base"));
        assertEquals(1e-5f, kv.get("llama.attention.layer_norm_rms_epsilon"));
        assertEquals(1L, kv.get("general.file_type"));
        assertEquals((long) VOCAB, kv.get("llama.vocab_size"));
        assertEquals(4, p.kvTypes.get("llama.vocab_size"));   // uint32
        assertEquals(6, p.kvTypes.get("llama.rope.freq_base")); // float32
        assertEquals("gpt2", kv.get("tokenizer.ggml.model"));
        assertEquals("llama-bpe", kv.get("tokenizer.ggml.pre"));
        assertEquals(List.of("a", "b", "ab", "Ġ", "Ġa", "é", "[PAD6]", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"),
                kv.get("tokenizer.ggml.tokens"));
        assertEquals(List.of(1, 1, 1, 1, 1, 1, 5, 3, 3, 3), kv.get("tokenizer.ggml.token_type"));
        assertEquals(List.of("a b", "Ġ a"), kv.get("tokenizer.ggml.merges"));
        assertEquals(7L, kv.get("tokenizer.ggml.bos_token_id"));
        assertEquals(9L, kv.get("tokenizer.ggml.eos_token_id"));
        assertEquals("{{ bos_token }}T", kv.get("tokenizer.chat_template"));

        List<String> names = p.tensors.stream().map(TensorEntry::name).toList();
        assertEquals(List.of("rope_freqs.weight", "token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight",
                "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight", "blk.0.ffn_norm.weight",
                "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "output_norm.weight",
                "output.weight"), names);
        assertEquals(names.size(), res.tensors());
        assertArrayEquals(new long[] {HIDDEN, VOCAB}, p.tensor("token_embd.weight").dims);    // ne0 = columns
        assertArrayEquals(new long[] {HIDDEN, FF}, p.tensor("blk.0.ffn_gate.weight").dims);
        assertArrayEquals(new long[] {FF, HIDDEN}, p.tensor("blk.0.ffn_down.weight").dims);
        assertArrayEquals(new long[] {HD / 2}, p.tensor("rope_freqs.weight").dims);
        for (TensorEntry t : p.tensors) {
            assertEquals(0, t.offset % 32, t.name);
            boolean vector = t.dims.length == 1;
            assertEquals(vector ? 0 : 1, t.type, t.name + ": norms and rope_freqs f32, matrices f16");
        }
        assertEquals(0, p.dataStart % 32);
        TensorEntry last = p.tensors.get(p.tensors.size() - 1);
        assertEquals(p.dataStart + last.offset + 2L * VOCAB * HIDDEN, Files.size(out));

        // data: norms exact, q rows permuted (f16-rounded), embeddings f16-rounded
        float[] norm = w.get("model.layers.0.input_layernorm.weight");
        for (int i = 0; i < HIDDEN; i++) {
            assertEquals(norm[i], p.f32(p.tensor("blk.0.attn_norm.weight"), i));
        }
        float[] q = GgufExport.permuteRows(w.get("model.layers.0.self_attn.q_proj.weight"), HEADS * HD, HIDDEN, HEADS);
        for (int i = 0; i < q.length; i++) {
            assertEquals(DType.halfToFloat(DType.floatToHalf(q[i])), p.f16(p.tensor("blk.0.attn_q.weight"), i));
        }
        float[] k = GgufExport.permuteRows(w.get("model.layers.0.self_attn.k_proj.weight"), KV * HD, HIDDEN, KV);
        for (int i = 0; i < k.length; i++) {
            assertEquals(DType.halfToFloat(DType.floatToHalf(k[i])), p.f16(p.tensor("blk.0.attn_k.weight"), i));
        }
        float[] v = w.get("model.layers.0.self_attn.v_proj.weight");
        for (int i = 0; i < v.length; i++) {
            assertEquals(DType.halfToFloat(DType.floatToHalf(v[i])), p.f16(p.tensor("blk.0.attn_v.weight"), i));
        }
        float[] rf = GgufExport.ropeFreqs(HD, 500000.0, RopeScaling.llama31());
        for (int i = 0; i < rf.length; i++) {
            assertEquals(rf[i], p.f32(p.tensor("rope_freqs.weight"), i));
        }
    }

    @Test
    void tiedEmbeddingsHaveNoOutputTensorAndF32KeepsValuesExactly() throws Exception {
        Path dir = tmp.resolve("t");
        Map<String, float[]> w = writeModel(dir, true);
        Path out = tmp.resolve("t.gguf");
        GgufExport.export(dir, out, GgufExport.Dtype.F32, null);
        Parsed p = parse(out);
        assertEquals("t", p.kvs.get("general.name"));
        assertEquals(0L, p.kvs.get("general.file_type"));
        assertFalse(p.tensors.stream().anyMatch(t -> t.name.equals("output.weight")));
        float[] emb = w.get("model.embed_tokens.weight");
        TensorEntry e = p.tensor("token_embd.weight");
        assertEquals(0, e.type);
        for (int i = 0; i < emb.length; i++) {
            assertEquals(emb[i], p.f32(e, i));
        }
    }

    @Test
    void qAndKRowsMoveFromRotateHalfToInterleavedAsTheNaiveIndexFormulaSays() {
        int heads = 3;
        int hd = 6;
        int cols = 2;
        int rows = heads * hd;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = i;
        }
        float[] p = GgufExport.permuteRows(w, rows, cols, heads);
        // numpy: w.reshape(heads, 2, hd/2, cols).swapaxes(1, 2).reshape(rows, cols)
        for (int h = 0; h < heads; h++) {
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < hd / 2; b++) {
                    int srcRow = (h * 2 + a) * (hd / 2) + b;
                    int dstRow = (h * (hd / 2) + b) * 2 + a;
                    for (int c = 0; c < cols; c++) {
                        assertEquals(w[srcRow * cols + c], p[dstRow * cols + c], "row " + dstRow);
                    }
                }
            }
        }
        // head 0 spelled out: rows 0,3,1,4,2,5 (first half and second half interleaved)
        float[] firstCol = new float[hd];
        for (int r = 0; r < hd; r++) {
            firstCol[r] = p[r * cols] / cols;
        }
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, firstCol);
        assertThrows(IllegalArgumentException.class, () -> GgufExport.permuteRows(new float[10], 5, 2, 1));
    }

    @Test
    void ropeFreqsAreLlama31sDivisorsComputedByHand() {
        // head_dim 128, θ = 500000, factor 8, low 1, high 4, original 8192: wavelength 2π·θ^(2i/128).
        // i <= 28: wavelength < 8192/4 = 2048 -> 1; i >= 35: > 8192 -> 8;
        // between: s = (8192/λ - 1)/3, divisor 1/((1 - s)/8 + s), e.g. i = 29: λ = 2π·500000^(58/128) ≈ 2429.8.
        float[] f = GgufExport.ropeFreqs(128, 500000.0, RopeScaling.llama31());
        assertEquals(64, f.length);
        for (int i = 0; i <= 28; i++) {
            assertEquals(1f, f[i], "i=" + i);
        }
        for (int i = 35; i < 64; i++) {
            assertEquals(8f, f[i], "i=" + i);
        }
        float[] band = {1.2074839f, 1.5534146f, 2.0263131f, 2.69453f, 3.6842532f, 5.257327f};
        for (int i = 0; i < band.length; i++) {
            assertEquals(band[i], f[29 + i], 2e-6f, "i=" + (29 + i));
        }
        double lambda = 2 * Math.PI * Math.pow(500000, 58.0 / 128);
        double s = (8192 / lambda - 1) / 3;
        assertEquals(1 / ((1 - s) / 8 + s), f[29], 1e-5);
    }

    @Test
    void q8_0BlocksHoldAnFp16ScaleAndRoundedInt8s() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = (i - 15.5f) / 10f;
        }
        byte[] block = new byte[34];
        GgufWriter.quantizeQ8_0(x, 0, block);
        float d = DType.halfToFloat((short) ((block[0] & 0xFF) | (block[1] << 8)));
        assertEquals(1.55f / 127, d, 1e-5);
        assertEquals(-127, block[2]);   // the largest magnitude maps to ±127
        assertEquals(127, block[33]);
        for (int i = 0; i < 32; i++) {
            assertEquals(x[i], block[2 + i] * d, d / 2 + 1e-4, "value " + i);
        }
    }

    @Test
    void theCommandWritesTheFileAndRefusesAnUnknownDtypeWithExitCode2() throws Exception {
        Path dir = tmp.resolve("c");
        Map<String, float[]> w = writeModel(dir, false);
        Path out = tmp.resolve("sub/c.gguf");
        CliRun ok = CliRun.of(new ExportCommand(), "gguf", "--model", dir.toString(), "--out", out.toString(), "--dtype", "q8_0");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("13 tensors"), ok.out());
        Parsed p = parse(out);
        assertEquals(7L, p.kvs.get("general.file_type"));
        assertEquals(8, p.tensor("blk.0.attn_q.weight").type);     // Q8_0: rows of 32
        assertEquals(8, p.tensor("blk.0.ffn_gate.weight").type);
        assertEquals(1, p.tensor("blk.0.ffn_down.weight").type);   // rows of 12 do not split into blocks of 32: f16
        assertEquals(1, p.tensor("blk.0.attn_output.weight").type);
        assertEquals(0, p.tensor("blk.0.ffn_norm.weight").type);
        TensorEntry gate = p.tensor("blk.0.ffn_gate.weight");
        assertEquals((FF * HIDDEN / 32 * 34 + 31) / 32 * 32, p.tensor("blk.0.ffn_up.weight").offset - gate.offset);
        float[] g = w.get("model.layers.0.mlp.gate_proj.weight");
        for (int blk = 0; blk < g.length / 32; blk++) {
            int at = (int) (p.dataStart + gate.offset) + blk * 34;
            float d = DType.halfToFloat(p.buf.getShort(at));
            for (int j = 0; j < 32; j++) {
                assertEquals(g[blk * 32 + j], p.buf.get(at + 2 + j) * d, d * 0.51f);
            }
        }
        CliRun bad = CliRun.of(new ExportCommand(), "gguf", "--model", dir.toString(), "--out", out.toString(), "--dtype", "q4");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--dtype"), bad.err());
    }

    @Test
    void refusesAFolderWithoutTokenizerOrWithWrongShapes() throws Exception {
        Path dir = tmp.resolve("n");
        writeModel(dir, true);
        Files.delete(dir.resolve("tokenizer.json"));
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> GgufExport.export(dir, tmp.resolve("n.gguf"), GgufExport.Dtype.F16, null));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("n.gguf")));
        assertThrows(HerdInputException.class, () -> GgufExport.Dtype.parse("q4"));
    }
}
