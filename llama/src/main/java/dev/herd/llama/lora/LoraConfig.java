package dev.herd.llama.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.config.Setting;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Low-rank adaptation (LoRA, Hu et al. 2021) of a trainer: with {@code r > 0} the base stays frozen and each
 * targeted projection {@code y = x Wᵀ} becomes {@code y = x Wᵀ + (alpha/r) · dropout(x) Aᵀ Bᵀ}, A [r, in] and
 * B [out, r] the only trained arrays (and optimizer state). {@code r = 0} is a full fine-tune.
 *
 * <p>{@link #SETTINGS} are laid into SFT's, DPO's and the reward model's settings tables, so
 * {@code --lora-r} etc., a recipe stage's {@code "lora-r"} and a {@code --config} file all reach them.
 *
 * @param r       rank of the adapters; 0 = off
 * @param alpha   the scale's numerator (PEFT's {@code lora_alpha})
 * @param dropout dropout on the adapters' input while training (PEFT's {@code lora_dropout})
 * @param targets the adapted projections, in decoder order
 */
public record LoraConfig(int r, double alpha, double dropout, List<LoraTarget> targets) {

    public static final List<Setting> SETTINGS = List.of(
            Setting.of("lora-r", 0, "LoRA rank: train low-rank adapters on a frozen base (0: full fine-tune)."),
            Setting.of("lora-alpha", 16.0, "LoRA scale numerator: an adapter adds (alpha/r)·B·A to its weight."),
            Setting.of("lora-dropout", 0.0, "Dropout on the adapters' input while training."),
            Setting.of("lora-targets", "q,k,v,o,gate,up,down", "Projections that get adapters: q,k,v,o,gate,up,down."));

    /** No adapters: a full fine-tune. */
    public static final LoraConfig OFF = new LoraConfig(0, 16.0, 0.0, List.of(LoraTarget.values()));

    public LoraConfig {
        if (r < 0) {
            throw new IllegalArgumentException("lora-r must be >= 0, got " + r);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("lora-alpha must be positive, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora-dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("lora-targets must name at least one of q,k,v,o,gate,up,down");
        }
        EnumSet<LoraTarget> set = EnumSet.copyOf(targets);
        targets = List.copyOf(set);          // decoder order, no repeats
    }

    /** {@link #SETTINGS} as an array, for {@code Settings.with(...)}. */
    public static Setting[] settings() {
        return SETTINGS.toArray(Setting[]::new);
    }

    /**
     * From values a table including {@link #SETTINGS} resolved.
     *
     * @throws IllegalArgumentException naming the setting, when a value is out of range or a target unknown
     */
    public static LoraConfig of(JsonNode v) {
        return new LoraConfig(v.get("lora-r").asInt(), v.get("lora-alpha").asDouble(), v.get("lora-dropout").asDouble(),
                targets(v.get("lora-targets").asText("")));
    }

    /** {@code q,k,v} (or HF names, {@code q_proj,v_proj}) as targets. */
    public static List<LoraTarget> targets(String list) {
        List<LoraTarget> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (s.isBlank()) {
                continue;
            }
            LoraTarget t = LoraTarget.parse(s);
            if (t == null) {
                throw new IllegalArgumentException("lora-targets: unknown projection '" + s.strip()
                        + "'; known: q,k,v,o,gate,up,down");
            }
            out.add(t);
        }
        return out;
    }

    public boolean enabled() {
        return r > 0;
    }

    /** alpha / r: what B·A is multiplied by. */
    public double scale() {
        return alpha / r;
    }

    public boolean targets(LoraTarget t) {
        return targets.contains(t);
    }

    /** Adds these settings under their keys to {@code o} (a trainer config's {@code toJson()}). */
    public ObjectNode into(ObjectNode o) {
        o.put("lora-r", r);
        o.put("lora-alpha", alpha);
        o.put("lora-dropout", dropout);
        o.put("lora-targets", targets.stream().map(t -> t.shortName).collect(Collectors.joining(",")));
        return o;
    }

    /** These settings alone, as a run record stores them. */
    public ObjectNode toJson() {
        return into(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode());
    }

    /** The targets as a set, for checks. */
    public Set<LoraTarget> targetSet() {
        return EnumSet.copyOf(targets);
    }
}
