package dev.herd.rm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.datasets.Strength;
import dev.herd.llama.train.TrainingConfig;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a reward-model run is configured by: the shared training settings and the reward model's own.
 * {@link #SETTINGS} is the one source of their keys, defaults and help, for a recipe's {@code "rm"} object,
 * {@code --config} files and the flags of {@code herd rm train}.
 *
 * @param pairs        which ordered pairs of a ranking are trained on
 * @param margin       Llama 2's margin by strength on the (chosen, rejected) pair
 * @param strengths    graded rankings kept (ungraded ones always are)
 * @param evalFraction held-out share when no ranking has split test/validation
 * @param device       {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}
 * @param lora         LoRA adapters on the frozen decoder (the score head is trained whole), or {@link LoraConfig#OFF}
 */
public record RmConfig(TrainingConfig training, RankingEncoder.Pairs pairs, boolean margin, Set<Strength> strengths,
                       double evalFraction, String device, LoraConfig lora) {

    public static final Settings SETTINGS = TrainingConfig.SETTINGS.with(
            Setting.of("pairs", "all", "all (every ordered pair of a ranking) or chosen-rejected."),
            Setting.flag("margin", "Llama 2's margin by strength on the (chosen, rejected) pair."),
            // No default in the table: unset keeps every strength, which --help says in words.
            new Setting("strength", List.class, null, "Graded rankings to keep (default: all); ungraded are kept.", true),
            Setting.of("eval-fraction", 0.05, "Held-out share when no ranking has split test/validation."),
            Setting.of("device", "cpu", "cpu, gpu, gpu:N or auto.")).with(LoraConfig.settings());

    public RmConfig {
        Objects.requireNonNull(training);
        Objects.requireNonNull(pairs);
        Objects.requireNonNull(lora);
        strengths = Set.copyOf(strengths);
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("eval-fraction must be in [0, 1), got " + evalFraction);
        }
        if (device == null) {
            throw new IllegalArgumentException("device must be cpu, gpu, gpu:N or auto");
        }
    }

    /**
     * The defaults with {@code overrides} (a recipe stage's object, a config file) laid over them; an unknown
     * key, a value of the wrong type or out of range is one line naming {@code source}.
     */
    public static RmConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(overrides, source), source);
    }

    public static RmConfig defaults() {
        return from(null, "defaults");
    }

    /** From values {@link #SETTINGS} resolved (a command's defaults, file and flags). */
    public static RmConfig of(JsonNode v, String source) {
        return TrainingConfig.checked(source, () -> new RmConfig(TrainingConfig.of(v), pairs(v.get("pairs").asText(null)),
                v.get("margin").asBoolean(), strengths(v.get("strength")), v.get("eval-fraction").asDouble(),
                v.get("device").asText(null), LoraConfig.of(v)));
    }

    private static RankingEncoder.Pairs pairs(String s) {
        return switch (s == null ? "" : s) {
            case "all" -> RankingEncoder.Pairs.ALL;
            case "chosen-rejected", "chosen>rejected" -> RankingEncoder.Pairs.CHOSEN_REJECTED;
            default -> throw new IllegalArgumentException("pairs must be all or chosen-rejected, got " + s);
        };
    }

    /** Labels, each possibly a comma-separated list (as {@code --strength a,b} has always been read); none: all. */
    private static Set<Strength> strengths(JsonNode labels) {
        if (labels == null || labels.isNull() || labels.isEmpty()) {
            return EnumSet.allOf(Strength.class);
        }
        EnumSet<Strength> out = EnumSet.noneOf(Strength.class);
        for (JsonNode item : labels) {
            for (String l : item.asText().split(",")) {
                Strength s = Strength.parse(l);
                if (s == null) {
                    throw new IllegalArgumentException("strength '" + l + "' is not one of: significantly better, better, "
                            + "slightly better, marginally better");
                }
                out.add(s);
            }
        }
        return out;
    }

    /** The settings under their keys: what {@link #from} reads back, and what a recipe's ledger records. */
    public ObjectNode toJson() {
        ObjectNode o = training.toJson();
        o.put("pairs", pairs == RankingEncoder.Pairs.ALL ? "all" : "chosen-rejected");
        o.put("margin", margin);
        ArrayNode s = o.putArray("strength");
        EnumSet.allOf(Strength.class).stream().filter(strengths::contains).forEach(x -> s.add(x.label));
        o.put("eval-fraction", evalFraction);
        o.put("device", device);
        return lora.into(o);
    }
}
