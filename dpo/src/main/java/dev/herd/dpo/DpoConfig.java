package dev.herd.dpo;

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
 * Everything a DPO run is configured by: the shared training settings and DPO's own. {@link #SETTINGS} is the
 * one source of their keys, defaults and help, for a recipe's {@code "dpo"} object, {@code --config} files and
 * the flags of {@code herd dpo}; {@code pairs} and {@code strengths} are lists a file or recipe gives.
 *
 * @param beta         strength of the implicit KL constraint to the reference (Llama 3: 0.1)
 * @param nllAlpha     weight of the NLL term on chosen responses, normalised by their token count (Llama 3: 0.2)
 * @param pairs        which pairs each ranking yields
 * @param strengths    graded rankings kept (ungraded ones always are); Llama 3 keeps "significantly better" and "better"
 * @param evalFraction share of prompts held out when no ranking has split test/validation
 * @param device       {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}
 * @param lora         LoRA adapters on the frozen policy (the reference is then the policy with them disabled), or
 *                     {@link LoraConfig#OFF}
 */
public record DpoConfig(TrainingConfig training, double beta, double nllAlpha, Set<PairKind> pairs, Set<Strength> strengths,
                        double evalFraction, String device, LoraConfig lora) {

    /** DPO's training defaults are the shared ones: Llama 3's learning rate 1e-5, 1 epoch, batches of 8 pairs. */
    public static final Settings SETTINGS = TrainingConfig.SETTINGS.with(
            Setting.of("beta", 0.1, "KL strength."),
            Setting.of("nll-alpha", 0.2, "Weight of the NLL term on chosen."),
            Setting.of("eval-fraction", 0.05, "Held-out share of prompts when no ranking has split test/validation."),
            Setting.of("device", "cpu", "cpu, gpu, gpu:N or auto."),
            Setting.list("pairs", PairKind.all().stream().map(k -> k.label).toList(),
                    "Pair kinds each ranking yields: edited>chosen, edited>rejected, chosen>rejected.").fileOnly(),
            Setting.list("strengths", List.of(Strength.SIGNIFICANTLY_BETTER.label, Strength.BETTER.label),
                    "Graded rankings kept (ungraded ones always are), or \"all\".").fileOnly()).with(LoraConfig.settings());

    public DpoConfig {
        Objects.requireNonNull(training);
        Objects.requireNonNull(lora);
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, got " + beta);
        }
        if (!(nllAlpha >= 0)) {
            throw new IllegalArgumentException("nll-alpha must be >= 0, got " + nllAlpha);
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("pairs must name at least one pair kind");
        }
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("eval-fraction must be in [0, 1), got " + evalFraction);
        }
        if (device == null) {
            throw new IllegalArgumentException("device must be cpu, gpu, gpu:N or auto");
        }
        pairs = Set.copyOf(pairs);
        strengths = Set.copyOf(strengths);
    }

    /**
     * The defaults with {@code overrides} (a recipe stage's object, a config file) laid over them; an unknown
     * key, a value of the wrong type or out of range is one line naming {@code source}.
     */
    public static DpoConfig from(JsonNode overrides, String source) {
        return of(SETTINGS.resolve(withCurrentKeys(overrides), source), source);
    }

    public static DpoConfig defaults() {
        return from(null, "defaults");
    }

    /** Config files have also said {@code alpha} for {@code nll-alpha}: read as {@code nll-alpha}. */
    public static JsonNode withCurrentKeys(JsonNode overrides) {
        if (overrides == null || !overrides.isObject() || !overrides.has("alpha")) {
            return overrides;
        }
        ObjectNode o = ((ObjectNode) overrides).deepCopy();
        o.set("nll-alpha", o.remove("alpha"));
        return o;
    }

    /** From values {@link #SETTINGS} resolved (a command's defaults, file and flags). */
    public static DpoConfig of(JsonNode v, String source) {
        Set<PairKind> pairs = EnumSet.noneOf(PairKind.class);
        v.get("pairs").forEach(k -> pairs.add(PairKind.parse(k.asText(), source)));
        return TrainingConfig.checked(source, () -> new DpoConfig(TrainingConfig.of(v), v.get("beta").asDouble(),
                v.get("nll-alpha").asDouble(), pairs, strengths(v.get("strengths")), v.get("eval-fraction").asDouble(),
                v.get("device").asText(null), LoraConfig.of(v)));
    }

    /** Labels, or the one word {@code all}. */
    private static Set<Strength> strengths(JsonNode labels) {
        if (labels.size() == 1 && labels.get(0).asText().equals("all")) {
            return EnumSet.allOf(Strength.class);
        }
        EnumSet<Strength> out = EnumSet.noneOf(Strength.class);
        for (JsonNode k : labels) {
            Strength s = Strength.parse(k.asText());
            if (s == null) {
                throw new IllegalArgumentException("strength '" + k.asText() + "' is not one of: "
                        + "significantly better, better, slightly better, marginally better");
            }
            out.add(s);
        }
        return out;
    }

    /** The loss these settings train with. */
    public DpoLoss loss() {
        return new DpoLoss(beta, nllAlpha);
    }

    /** The settings under their keys: what {@link #from} reads back, and what a recipe's ledger records. */
    public ObjectNode toJson() {
        ObjectNode o = training.toJson();
        o.put("beta", beta);
        o.put("nll-alpha", nllAlpha);
        o.put("eval-fraction", evalFraction);
        o.put("device", device);
        ArrayNode p = o.putArray("pairs");
        PairKind.all().stream().filter(pairs::contains).forEach(k -> p.add(k.label));
        ArrayNode s = o.putArray("strengths");
        EnumSet.allOf(Strength.class).stream().filter(strengths::contains).forEach(x -> s.add(x.label));
        return lora.into(o);
    }
}
