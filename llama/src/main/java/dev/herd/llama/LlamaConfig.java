package dev.herd.llama;

import dev.herd.common.HerdInputException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The architecture of a Llama 3.x decoder, read from and written to Hugging Face's {@code config.json}
 * ({@code LlamaForCausalLM}).
 *
 * @param ropeScaling null for plain RoPE
 * @param eosTokenIds one or more ids (HF allows an int or a list)
 * @param bosTokenId  -1 when the config has none
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        int vocabSize,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    public static final String FILE_NAME = "config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        check(hiddenSize > 0, "hidden_size must be positive");
        check(numAttentionHeads > 0, "num_attention_heads must be positive");
        check(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_attention_heads (" + numAttentionHeads + ") must be a multiple of num_key_value_heads ("
                        + numKeyValueHeads + ")");
        check(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, got " + headDim);
        check(numHiddenLayers > 0, "num_hidden_layers must be positive");
        check(intermediateSize > 0, "intermediate_size must be positive");
        check(vocabSize > 0, "vocab_size must be positive");
    }

    /** A config with head_dim = hidden / heads and Llama 3.1's defaults for everything else. */
    public static LlamaConfig of(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
                                 RopeScaling scaling, boolean tied) {
        return new LlamaConfig(hidden, intermediate, layers, heads, kvHeads, hidden / heads, 1e-5, 500000.0,
                scaling, 131072, vocab, tied, 128000, List.of(128001, 128008, 128009));
    }

    public int queryGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Parameter count, embeddings included (once when tied). */
    public long parameterCount() {
        long d = hiddenSize;
        long attn = d * numAttentionHeads * headDim * 2L + d * numKeyValueHeads * headDim * 2L;
        long mlp = 3L * d * intermediateSize;
        long layer = attn + mlp + 2 * d;
        long emb = (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2);
        return layer * numHiddenLayers + emb + d;
    }

    /** Reads {@code dir/config.json}; every problem is a {@link HerdInputException} naming the file and key. */
    public static LlamaConfig load(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve(FILE_NAME) : dir;
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new HerdInputException(file + ": no such file (a model folder needs config.json)");
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new HerdInputException(file + ": expected a JSON object");
        }
        return parse(root, file.toString());
    }

    public static LlamaConfig parse(JsonNode root, String file) {
        Reader r = new Reader(root, file);
        String modelType = r.optText("model_type", "llama");
        if (!modelType.equals("llama")) {
            throw new HerdInputException(file + ": model_type '" + modelType + "' is not supported (expected llama)");
        }
        if (r.optBool("attention_bias", false) || r.optBool("mlp_bias", false)) {
            throw new HerdInputException(file + ": attention_bias/mlp_bias = true is not supported (Llama 3 has none)");
        }
        String act = r.optText("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new HerdInputException(file + ": hidden_act '" + act + "' is not supported (expected silu)");
        }
        int hidden = r.reqInt("hidden_size");
        int heads = r.reqInt("num_attention_heads");
        int kvHeads = r.optInt("num_key_value_heads", heads);
        int headDim = root.hasNonNull("head_dim") ? r.reqInt("head_dim") : hidden / Math.max(1, heads);
        RopeScaling scaling = parseScaling(root.get("rope_scaling"), file);
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = root.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            for (JsonNode n : eosNode) {
                if (!n.canConvertToInt()) {
                    throw new HerdInputException(file + ": eos_token_id must hold integers, got " + n);
                }
                eos.add(n.asInt());
            }
        } else if (eosNode != null && !eosNode.isNull()) {
            eos.add(r.reqInt("eos_token_id"));
        }
        try {
            return new LlamaConfig(hidden, r.reqInt("intermediate_size"), r.reqInt("num_hidden_layers"), heads, kvHeads,
                    headDim, r.optDouble("rms_norm_eps", 1e-6), r.optDouble("rope_theta", 10000.0), scaling,
                    r.optInt("max_position_embeddings", 2048), r.reqInt("vocab_size"),
                    r.optBool("tie_word_embeddings", false), root.hasNonNull("bos_token_id") ? r.reqInt("bos_token_id") : -1,
                    eos);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(file + ": " + e.getMessage());
        }
    }

    private static RopeScaling parseScaling(JsonNode node, String file) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new HerdInputException(file + ": rope_scaling must be an object or null");
        }
        Reader r = new Reader(node, file + ": rope_scaling");
        String type = node.hasNonNull("rope_type") ? r.optText("rope_type", "") : r.optText("type", "");
        switch (type) {
            case "default":
                return null;
            case "llama3":
                return new RopeScaling(r.reqDouble("factor"), r.reqDouble("low_freq_factor"),
                        r.reqDouble("high_freq_factor"), r.reqInt("original_max_position_embeddings"));
            case "":
                throw new HerdInputException(file + ": rope_scaling has no rope_type");
            default:
                throw new HerdInputException(file + ": rope_scaling.rope_type '" + type
                        + "' is not supported (supported: llama3, default)");
        }
    }

    /** The HF {@code config.json} text for this config. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("attention_bias", false);
        o.put("attention_dropout", 0.0);
        if (bosTokenId >= 0) {
            o.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            o.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode eos = o.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        o.put("head_dim", headDim);
        o.put("hidden_act", "silu");
        o.put("hidden_size", hiddenSize);
        o.put("initializer_range", 0.02);
        o.put("intermediate_size", intermediateSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("mlp_bias", false);
        o.put("model_type", "llama");
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("pretraining_tp", 1);
        o.put("rms_norm_eps", rmsNormEps);
        if (ropeScaling == null) {
            o.putNull("rope_scaling");
        } else {
            ObjectNode s = o.putObject("rope_scaling");
            s.put("factor", ropeScaling.factor());
            s.put("high_freq_factor", ropeScaling.highFreqFactor());
            s.put("low_freq_factor", ropeScaling.lowFreqFactor());
            s.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            s.put("rope_type", "llama3");
        }
        o.put("rope_theta", ropeTheta);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("torch_dtype", "float32");
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        try {
            return JSON.writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void save(Path dir) throws IOException {
        Files.writeString(dir.resolve(FILE_NAME), toJson());
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Typed access to keys with errors that name the file and the key. */
    private record Reader(JsonNode node, String where) {
        int reqInt(String key) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                throw new HerdInputException(where + ": missing key '" + key + "'");
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new HerdInputException(where + ": key '" + key + "' must be an integer, got " + n);
            }
            return n.asInt();
        }

        int optInt(String key, int dflt) {
            return node.hasNonNull(key) ? reqInt(key) : dflt;
        }

        double reqDouble(String key) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                throw new HerdInputException(where + ": missing key '" + key + "'");
            }
            if (!n.isNumber()) {
                throw new HerdInputException(where + ": key '" + key + "' must be a number, got " + n);
            }
            return n.asDouble();
        }

        double optDouble(String key, double dflt) {
            return node.hasNonNull(key) ? reqDouble(key) : dflt;
        }

        boolean optBool(String key, boolean dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isBoolean()) {
                throw new HerdInputException(where + ": key '" + key + "' must be true or false, got " + n);
            }
            return n.asBoolean();
        }

        String optText(String key, String dflt) {
            JsonNode n = node.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isTextual()) {
                throw new HerdInputException(where + ": key '" + key + "' must be a string, got " + n);
            }
            return n.asText();
        }
    }
}
