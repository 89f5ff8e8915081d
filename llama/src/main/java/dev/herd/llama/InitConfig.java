package dev.herd.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A random model's shape and init: {@code herd init-model}'s flags and a recipe's {@code {"init": {...}}} object.
 *
 * @param vocab      vocab_size, or null for the tokenizer's size (else 128,256)
 * @param headDim    head_dim, or null for hidden / heads
 * @param tokenizer  folder with tokenizer.json to copy into the model, or null
 * @param vocabFrom  files whose tokens the tokenizer is pruned to (empty: the whole tokenizer)
 * @param ropeScaling {@code llama3} (Llama 3.1's) or {@code none}
 */
public record InitConfig(int hidden, int layers, int heads, int kvHeads, int intermediate, Integer vocab, Integer headDim,
                         Path tokenizer, List<Path> vocabFrom, String ropeScaling, double ropeTheta, int maxPositions,
                         boolean tieEmbeddings, long seed, double std) {

    public static final Settings SETTINGS = Settings.of(
            new Setting("hidden", Integer.class, null, "hidden_size (required).", true),
            new Setting("layers", Integer.class, null, "num_hidden_layers (required).", true),
            new Setting("heads", Integer.class, null, "num_attention_heads (required).", true),
            new Setting("kv-heads", Integer.class, null, "num_key_value_heads, GQA when fewer than heads (required).", true),
            new Setting("intermediate", Integer.class, null, "intermediate_size of the SwiGLU MLP (required).", true),
            new Setting("vocab", Integer.class, null, "vocab_size (default: the tokenizer's size, else 128256).", true),
            new Setting("head-dim", Integer.class, null, "head_dim (default hidden / heads).", true),
            Setting.of("tokenizer", (String) null, "Folder with tokenizer.json (+ tokenizer_config.json) to copy into the model."),
            Setting.list("vocab-from", List.of(), "Prune the --tokenizer's vocabulary to the tokens these files use and size "
                    + "the model to it: for small models whose embedding and LM head are most of their parameters. Files: "
                    + "JSONL (every string value, chat messages' contents included) or plain text (the text and each line). "
                    + "Keeps the merges, the special tokens and the 256 byte tokens, renumbered densely. On these files the "
                    + "ids map one-to-one to the full tokenizer's; other text still encodes and decodes exactly, through byte "
                    + "tokens where words are missing."),
            Setting.of("rope-scaling", "llama3", "llama3 (Llama 3.1's) or none."),
            Setting.of("rope-theta", 500000.0, "RoPE base."),
            Setting.of("max-position-embeddings", 131072, "max_position_embeddings."),
            Setting.flag("tie-embeddings", "Share the embedding matrix with the LM head."),
            Setting.of("seed", 0L, "Seed of the weights."),
            Setting.of("std", 0.02, "Standard deviation of the init."));

    public InitConfig {
        vocabFrom = List.copyOf(vocabFrom);
        if (!ropeScaling.equals("llama3") && !ropeScaling.equals("none")) {
            throw new HerdInputException("--rope-scaling must be llama3 or none, got " + ropeScaling);
        }
        if (!(std >= 0)) {
            throw new HerdInputException("init-model: --std must be >= 0, got " + std);
        }
        if (headDim == null && heads > 0 && hidden % heads != 0) {
            throw new HerdInputException("init-model: --hidden " + hidden + " is not a multiple of --heads " + heads
                    + " (give --head-dim to choose the head size)");
        }
        if (!vocabFrom.isEmpty() && tokenizer == null) {
            throw new HerdInputException("init-model: --vocab-from needs --tokenizer (the full tokenizer to prune)");
        }
    }

    public static InitConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(overrides, source), source);
    }

    /** Built from resolved settings; the five shape settings are required. */
    public static InitConfig of(ObjectNode v, String source) {
        for (String k : List.of("hidden", "layers", "heads", "kv-heads", "intermediate")) {
            if (v.get(k).isNull()) {
                throw new HerdInputException(source + ": missing '" + k + "' (see herd init-model --help)");
            }
        }
        List<Path> from = new ArrayList<>();
        v.get("vocab-from").forEach(f -> from.add(Path.of(f.asText())));
        return new InitConfig(v.get("hidden").asInt(), v.get("layers").asInt(), v.get("heads").asInt(), v.get("kv-heads").asInt(),
                v.get("intermediate").asInt(), v.get("vocab").isNull() ? null : v.get("vocab").asInt(),
                v.get("head-dim").isNull() ? null : v.get("head-dim").asInt(),
                v.get("tokenizer").isNull() ? null : Path.of(v.get("tokenizer").asText()), from, v.get("rope-scaling").asText(),
                v.get("rope-theta").asDouble(), v.get("max-position-embeddings").asInt(), v.get("tie-embeddings").asBoolean(),
                v.get("seed").asLong(), v.get("std").asDouble());
    }

    /** This config with another seed (a recipe's default when its init object names none). */
    public InitConfig withSeed(long s) {
        return new InitConfig(hidden, layers, heads, kvHeads, intermediate, vocab, headDim, tokenizer, vocabFrom, ropeScaling,
                ropeTheta, maxPositions, tieEmbeddings, s, std);
    }
}
