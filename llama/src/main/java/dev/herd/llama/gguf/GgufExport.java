package dev.herd.llama.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.RopeScaling;
import dev.herd.llama.gguf.GgufWriter.TensorType;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face Llama model folder as one GGUF file for llama.cpp (and Ollama, LM Studio...): the architecture as
 * {@code llama.*} keys, the byte-level BPE tokenizer as {@code tokenizer.ggml.*} ("gpt2" model, "llama-bpe"
 * pre-tokenizer) with the chat template, and the weights under llama.cpp's tensor names.
 *
 * <p>Two things differ from the HF weights. The q and k projections' rows are permuted from HF's rotate-half RoPE
 * layout (a head's first half pairs with its second) to GGUF's interleaved one (pairs are neighbours), per head, as
 * llama.cpp's converter does. And Llama 3.1's RoPE scaling becomes a {@code rope_freqs} tensor of per-frequency
 * divisors, which llama.cpp applies to θ^(-2i/d).
 */
public final class GgufExport {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Token types of {@code tokenizer.ggml.token_type}. */
    static final int NORMAL = 1;
    static final int UNUSED = 5;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;

    /** Storage of the matrices; 1-D tensors (norms, rope_freqs) are always f32. */
    public enum Dtype {
        F32(TensorType.F32, 0), F16(TensorType.F16, 1), Q8_0(TensorType.Q8_0, 7);

        final TensorType matrixType;
        /** {@code general.file_type}: llama.cpp's ALL_F32, MOSTLY_F16, MOSTLY_Q8_0. */
        final int fileType;

        Dtype(TensorType matrixType, int fileType) {
            this.matrixType = matrixType;
            this.fileType = fileType;
        }

        public static Dtype parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "f32" -> F32;
                case "f16" -> F16;
                case "q8_0" -> Q8_0;
                default -> throw new HerdInputException("--dtype must be f32, f16 or q8_0, got " + s);
            };
        }
    }

    /** What was written. */
    public record Result(LlamaConfig config, int tensors, int vocab, long bytes) {}

    private GgufExport() {}

    /** Writes {@code modelDir} as GGUF to {@code out}. */
    public static Result export(Path modelDir, Path out, Dtype dtype, String name) {
        if (!Files.isDirectory(modelDir)) {
            throw new HerdInputException(modelDir + ": no such model folder");
        }
        LlamaConfig c = LlamaConfig.load(modelDir);
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", name != null ? name : modelDir.toAbsolutePath().normalize().getFileName().toString());
        w.putUint32("llama.context_length", c.maxPositionEmbeddings());
        w.putUint32("llama.embedding_length", c.hiddenSize());
        w.putUint32("llama.block_count", c.numHiddenLayers());
        w.putUint32("llama.feed_forward_length", c.intermediateSize());
        w.putUint32("llama.attention.head_count", c.numAttentionHeads());
        w.putUint32("llama.attention.head_count_kv", c.numKeyValueHeads());
        w.putUint32("llama.attention.key_length", c.headDim());
        w.putUint32("llama.attention.value_length", c.headDim());
        w.putUint32("llama.rope.dimension_count", c.headDim());
        w.putFloat32("llama.rope.freq_base", (float) c.ropeTheta());
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", (float) c.rmsNormEps());
        w.putUint32("general.file_type", dtype.fileType);
        w.putUint32("general.quantization_version", 2);
        w.putUint32("llama.vocab_size", c.vocabSize());
        int vocab = putTokenizer(w, modelDir, c);

        CheckpointFiles files = CheckpointFiles.open(modelDir);
        try {
            if (c.ropeScaling() != null) {
                float[] f = ropeFreqs(c.headDim(), c.ropeTheta(), c.ropeScaling());
                w.addTensor("rope_freqs.weight", TensorType.F32, new long[] {f.length}, () -> f);
            }
            int h = c.hiddenSize();
            int hd = c.headDim();
            add(w, files, "model.embed_tokens.weight", "token_embd.weight", dtype, new long[] {c.vocabSize(), h}, 0);
            for (int l = 0; l < c.numHiddenLayers(); l++) {
                String hf = "model.layers." + l + ".";
                String g = "blk." + l + ".";
                add(w, files, hf + "input_layernorm.weight", g + "attn_norm.weight", Dtype.F32, new long[] {h}, 0);
                add(w, files, hf + "self_attn.q_proj.weight", g + "attn_q.weight", dtype,
                        new long[] {(long) c.numAttentionHeads() * hd, h}, c.numAttentionHeads());
                add(w, files, hf + "self_attn.k_proj.weight", g + "attn_k.weight", dtype,
                        new long[] {(long) c.numKeyValueHeads() * hd, h}, c.numKeyValueHeads());
                add(w, files, hf + "self_attn.v_proj.weight", g + "attn_v.weight", dtype,
                        new long[] {(long) c.numKeyValueHeads() * hd, h}, 0);
                add(w, files, hf + "self_attn.o_proj.weight", g + "attn_output.weight", dtype,
                        new long[] {h, (long) c.numAttentionHeads() * hd}, 0);
                add(w, files, hf + "post_attention_layernorm.weight", g + "ffn_norm.weight", Dtype.F32, new long[] {h}, 0);
                add(w, files, hf + "mlp.gate_proj.weight", g + "ffn_gate.weight", dtype, new long[] {c.intermediateSize(), h}, 0);
                add(w, files, hf + "mlp.up_proj.weight", g + "ffn_up.weight", dtype, new long[] {c.intermediateSize(), h}, 0);
                add(w, files, hf + "mlp.down_proj.weight", g + "ffn_down.weight", dtype, new long[] {h, c.intermediateSize()}, 0);
            }
            add(w, files, "model.norm.weight", "output_norm.weight", Dtype.F32, new long[] {h}, 0);
            if (!c.tieWordEmbeddings()) {
                add(w, files, "lm_head.weight", "output.weight", dtype, new long[] {c.vocabSize(), h}, 0);
            }
            w.write(out);
            return new Result(c, w.tensorCount(), vocab, Files.size(out));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        } finally {
            files.close();
        }
    }

    private static void add(GgufWriter w, CheckpointFiles files, String hfName, String ggufName, Dtype dtype,
                            long[] shape, int permuteHeads) {
        if (!files.has(hfName)) {
            throw new HerdInputException("checkpoint has no tensor " + hfName);
        }
        TensorInfo info = files.info(hfName);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new HerdInputException(files.fileOf(hfName) + ": tensor " + hfName + " has shape " + info.shapeString()
                    + " but config.json implies " + Arrays.toString(shape));
        }
        TensorType type = dtype.matrixType;
        if (shape.length == 1) {
            type = TensorType.F32;
        } else if (shape[shape.length - 1] % type.blockSize != 0) {
            type = TensorType.F16;   // rows that do not split into Q8_0 blocks, as llama.cpp's converter falls back
        }
        w.addTensor(ggufName, type, shape, () -> {
            float[] data = files.readFloats(hfName);
            return permuteHeads > 0 ? permuteRows(data, (int) shape[0], (int) shape[1], permuteHeads) : data;
        });
    }

    /**
     * Reorders the rows of a q or k projection ({@code rows = heads * headDim}, row-major) from HF's rotate-half
     * layout to GGUF's interleaved one: within each head, row {@code 2i + j} of the result is row
     * {@code j * headDim/2 + i} of the input (i < headDim/2, j ∈ {0, 1}).
     */
    public static float[] permuteRows(float[] w, int rows, int cols, int heads) {
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + heads + " heads of even size");
        }
        int hd = rows / heads;
        int half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int dst = h * hd + 2 * i + j;
                    int src = h * hd + j * half + i;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    /**
     * Llama 3.1's RoPE scaling as llama.cpp's {@code rope_freqs}: for each frequency θ^(-2i/d) (computed in fp32), the
     * divisor llama.cpp applies: 1 for wavelengths below {@code original/high_freq_factor}, {@code factor} above
     * {@code original/low_freq_factor}, and {@code 1 / ((1 - s)/factor + s)} between, s = (original/wavelength -
     * low) / (high - low).
     */
    public static float[] ropeFreqs(int headDim, double theta, RopeScaling s) {
        float[] out = new float[headDim / 2];
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < out.length; i++) {
            float freq = (float) (1.0 / Math.pow((float) theta, (float) (2 * i) / headDim));
            double wavelen = 2 * Math.PI / freq;
            double divisor;
            if (wavelen < highWavelen) {
                divisor = 1;
            } else if (wavelen > lowWavelen) {
                divisor = s.factor();
            } else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                divisor = 1 / ((1 - smooth) / s.factor() + smooth);
            }
            out[i] = (float) divisor;
        }
        return out;
    }

    /** The tokenizer keys from {@code tokenizer.json} and {@code tokenizer_config.json}; returns the vocabulary size. */
    private static int putTokenizer(GgufWriter w, Path dir, LlamaConfig c) {
        Path tokFile = dir.resolve("tokenizer.json");
        JsonNode tok = readJson(tokFile, true);
        JsonNode model = tok.path("model");
        if (!model.path("type").asText("BPE").equals("BPE") || !model.path("vocab").isObject()) {
            throw new HerdInputException(tokFile + ": expected a BPE model with a vocab (Llama 3's tokenizer)");
        }
        int size = c.vocabSize();
        String[] tokens = new String[size];
        int[] types = new int[size];
        Map<String, Integer> ids = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt();
            checkId(tokFile, e.getKey(), id, size);
            tokens[id] = e.getKey();
            types[id] = NORMAL;
            ids.put(e.getKey(), id);
        }
        for (JsonNode t : tok.path("added_tokens")) {
            int id = t.path("id").asInt();
            String content = t.path("content").asText();
            checkId(tokFile, content, id, size);
            tokens[id] = content;
            types[id] = t.path("special").asBoolean(false) ? CONTROL : USER_DEFINED;
            ids.put(content, id);
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isArray()) {
                merges.add(m.get(0).asText() + " " + m.get(1).asText());
            } else {
                merges.add(m.asText());
            }
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", "llama-bpe");
        w.putStringArray("tokenizer.ggml.tokens", Arrays.asList(tokens));
        w.putInt32Array("tokenizer.ggml.token_type", types);
        w.putStringArray("tokenizer.ggml.merges", merges);

        JsonNode cfg = readJson(dir.resolve("tokenizer_config.json"), false);
        int bos = tokenId(cfg.get("bos_token"), ids, c.bosTokenId());
        int eos = tokenId(cfg.get("eos_token"), ids, c.eosTokenIds().isEmpty() ? -1 : c.eosTokenIds().get(0));
        if (bos >= 0) {
            w.putUint32("tokenizer.ggml.bos_token_id", bos);
        }
        if (eos >= 0) {
            w.putUint32("tokenizer.ggml.eos_token_id", eos);
        }
        w.putBool("tokenizer.ggml.add_bos_token", bos >= 0);
        JsonNode template = cfg.get("chat_template");
        if (template != null && template.isTextual()) {
            w.putString("tokenizer.chat_template", template.asText());
        } else if (template != null && template.isArray()) {
            for (JsonNode t : template) {
                if (t.path("name").asText().equals("default")) {
                    w.putString("tokenizer.chat_template", t.path("template").asText());
                }
            }
        }
        return size;
    }

    private static void checkId(Path file, String token, int id, int size) {
        if (id < 0 || id >= size) {
            throw new HerdInputException(file + ": token " + token + " has id " + id + " but config.json vocab_size is " + size);
        }
    }

    /** A special token named in tokenizer_config.json (a string or {"content": ...}), else {@code fallback}. */
    private static int tokenId(JsonNode node, Map<String, Integer> ids, int fallback) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        String content = node.isTextual() ? node.asText() : node.path("content").asText(null);
        Integer id = content == null ? null : ids.get(content);
        return id != null ? id : fallback;
    }

    private static JsonNode readJson(Path file, boolean required) {
        if (!Files.exists(file)) {
            if (required) {
                throw new HerdInputException(file + ": no such file (GGUF export needs the tokenizer files)");
            }
            return JSON.createObjectNode();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            return n == null ? JSON.createObjectNode() : n;
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
    }
}
