package dev.herd.llama.lora;

import dev.herd.llama.LlamaConfig;
import java.util.Locale;

/**
 * A projection of a decoder block that can carry a LoRA adapter: its short name on the command line
 * ({@code q}), its module path under {@code model.layers.N} in Hugging Face's checkpoints and PEFT's adapters
 * ({@code self_attn.q_proj}), and its shape.
 */
public enum LoraTarget {
    Q("q", "self_attn.q_proj"),
    K("k", "self_attn.k_proj"),
    V("v", "self_attn.v_proj"),
    O("o", "self_attn.o_proj"),
    GATE("gate", "mlp.gate_proj"),
    UP("up", "mlp.up_proj"),
    DOWN("down", "mlp.down_proj");

    /** The short name {@code --lora-targets} takes. */
    public final String shortName;
    /** The module path under {@code model.layers.N}. */
    public final String path;

    LoraTarget(String shortName, String path) {
        this.shortName = shortName;
        this.path = path;
    }

    /** The module's own name, as PEFT's {@code target_modules} lists it ({@code q_proj}). */
    public String hfName() {
        return path.substring(path.indexOf('.') + 1);
    }

    /** By short name ({@code q}) or HF module name ({@code q_proj}); null when neither. */
    public static LoraTarget parse(String s) {
        String k = s.strip().toLowerCase(Locale.ROOT);
        for (LoraTarget t : values()) {
            if (t.shortName.equals(k) || t.hfName().equals(k)) {
                return t;
            }
        }
        return null;
    }

    /** Input features of the projection: the columns of its [out, in] weight. */
    public long in(LlamaConfig c) {
        return switch (this) {
            case O -> (long) c.numAttentionHeads() * c.headDim();
            case DOWN -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Output features of the projection: the rows of its [out, in] weight. */
    public long out(LlamaConfig c) {
        return switch (this) {
            case Q -> (long) c.numAttentionHeads() * c.headDim();
            case K, V -> (long) c.numKeyValueHeads() * c.headDim();
            case GATE, UP -> c.intermediateSize();
            case O, DOWN -> c.hiddenSize();
        };
    }

    /** The base weight's HF tensor name in layer {@code layer}. */
    public String weightName(int layer) {
        return "model.layers." + layer + "." + path + ".weight";
    }
}
