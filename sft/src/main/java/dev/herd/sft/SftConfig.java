package dev.herd.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.config.Setting;
import dev.herd.common.config.Settings;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.llama.train.TrainingConfig;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything an SFT run is configured by: the shared training settings and SFT's own. {@link #SETTINGS} is the
 * one source of their keys, defaults and help, for a recipe's {@code "sft"} object, {@code --config} files and
 * the flags of {@code herd sft}.
 *
 * @param pack         several conversations per row (off with {@code no-pack})
 * @param overlong     what happens to a conversation over {@code max-seq-len}
 * @param evalFraction held-out share when no example has split test/validation
 * @param evalEvery    held-out loss every N steps (0: at the end only)
 * @param device       {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}
 * @param lora         LoRA adapters on a frozen base, or {@link LoraConfig#OFF} for a full fine-tune
 */
public record SftConfig(TrainingConfig training, boolean pack, SftEncoder.Overlong overlong, double evalFraction, int evalEvery,
                        String device, LoraConfig lora) {

    /** SFT's defaults are the shared ones (lr 1e-5 as Llama 3's SFT, cosine, 1 epoch, max-seq-len 2048). */
    public static final Settings SETTINGS = TrainingConfig.SETTINGS.with(
            Setting.flag("no-pack", "One conversation per row instead of packing several per row."),
            Setting.of("overlong", "truncate", "truncate or drop conversations over --max-seq-len."),
            Setting.of("eval-fraction", 0.05, "Held-out share when no row has split test/validation."),
            Setting.of("eval-every", 0, "Held-out loss every N steps (0: at the end)."),
            Setting.of("device", "cpu", "cpu, gpu, gpu:N or auto.")).with(LoraConfig.settings());

    public SftConfig {
        Objects.requireNonNull(training);
        Objects.requireNonNull(overlong);
        Objects.requireNonNull(lora);
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("eval-fraction must be in [0, 1), got " + evalFraction);
        }
        if (evalEvery < 0) {
            throw new IllegalArgumentException("eval-every must be >= 0, got " + evalEvery);
        }
        if (device == null) {
            throw new IllegalArgumentException("device must be cpu, gpu, gpu:N or auto");
        }
    }

    /**
     * The defaults with {@code overrides} (a recipe stage's object, a config file) laid over them; an unknown
     * key, a value of the wrong type or out of range is one line naming {@code source}.
     */
    public static SftConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(overrides, source), source);
    }

    public static SftConfig defaults() {
        return from(null, "defaults");
    }

    /** From values {@link #SETTINGS} resolved (a command's defaults, file and flags). */
    public static SftConfig of(JsonNode v, String source) {
        return TrainingConfig.checked(source, () -> new SftConfig(TrainingConfig.of(v), !v.get("no-pack").asBoolean(),
                overlong(v.get("overlong").asText(null)), v.get("eval-fraction").asDouble(), v.get("eval-every").asInt(),
                v.get("device").asText(null), LoraConfig.of(v)));
    }

    private static SftEncoder.Overlong overlong(String s) {
        return switch (s == null ? "" : s) {
            case "truncate" -> SftEncoder.Overlong.TRUNCATE;
            case "drop" -> SftEncoder.Overlong.DROP;
            default -> throw new IllegalArgumentException("overlong must be truncate or drop, got " + s);
        };
    }

    /** The settings under their keys: what {@link #from} reads back, and what a recipe's ledger records. */
    public ObjectNode toJson() {
        ObjectNode o = training.toJson();
        o.put("no-pack", !pack);
        o.put("overlong", overlong.name().toLowerCase(Locale.ROOT));
        o.put("eval-fraction", evalFraction);
        o.put("eval-every", evalEvery);
        o.put("device", device);
        return lora.into(o);
    }
}
