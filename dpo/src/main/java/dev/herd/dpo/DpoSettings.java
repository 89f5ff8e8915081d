package dev.herd.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.datasets.Strength;
import dev.herd.common.HerdInputException;
import dev.herd.llama.train.TrainingConfig;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * DPO's own settings, next to the shared trainer settings in the same {@code --config} file.
 *
 * @param beta         strength of the implicit KL constraint to the reference (Llama 3: 0.1)
 * @param nllAlpha     weight of the NLL term on chosen responses, normalised by their token count (Llama 3: 0.2)
 * @param pairs        which pairs each ranking yields
 * @param strengths    graded rankings kept (ungraded ones always are); Llama 3 keeps "significantly better" and "better"
 * @param evalFraction share of rankings held out when none has split test/validation
 */
public record DpoSettings(double beta, double nllAlpha, Set<PairKind> pairs, Set<Strength> strengths, double evalFraction) {

    public DpoSettings {
        if (!(beta > 0)) {
            throw new HerdInputException("beta must be positive, got " + beta);
        }
        if (!(nllAlpha >= 0)) {
            throw new HerdInputException("nll-alpha must be >= 0, got " + nllAlpha);
        }
        if (pairs.isEmpty()) {
            throw new HerdInputException("pairs must name at least one pair kind");
        }
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new HerdInputException("eval-fraction must be in [0, 1), got " + evalFraction);
        }
        pairs = Set.copyOf(pairs);
        strengths = Set.copyOf(strengths);
    }

    public static DpoSettings defaults() {
        return new DpoSettings(0.1, 0.2, PairKind.all(), EnumSet.of(Strength.SIGNIFICANTLY_BETTER, Strength.BETTER), 0.05);
    }

    /**
     * These settings with the DPO keys of a config file applied: {@code beta}, {@code nll-alpha} (or
     * {@code alpha}), {@code pairs} (a list such as {@code ["edited>rejected", "chosen>rejected"]}),
     * {@code strengths} (a list of labels, or {@code "all"}), {@code eval-fraction}.
     */
    public DpoSettings merge(JsonNode file, String source) {
        double b = beta;
        double a = nllAlpha;
        Set<PairKind> p = pairs;
        Set<Strength> s = strengths;
        double ef = evalFraction;
        for (Map.Entry<String, JsonNode> e : fields(file).entrySet()) {
            JsonNode v = e.getValue();
            switch (e.getKey().replace('_', '-')) {
                case "beta" -> b = number(v, source, "beta");
                case "nll-alpha", "alpha" -> a = number(v, source, e.getKey());
                case "eval-fraction" -> ef = number(v, source, "eval-fraction");
                case "pairs" -> {
                    EnumSet<PairKind> set = EnumSet.noneOf(PairKind.class);
                    for (JsonNode k : list(v, source, "pairs")) {
                        set.add(PairKind.parse(k.asText(), source));
                    }
                    p = set;
                }
                case "strengths" -> {
                    if (v.isTextual() && v.asText().equals("all")) {
                        s = EnumSet.allOf(Strength.class);
                    } else {
                        EnumSet<Strength> set = EnumSet.noneOf(Strength.class);
                        for (JsonNode k : list(v, source, "strengths")) {
                            Strength st = Strength.parse(k.asText());
                            if (st == null) {
                                throw new HerdInputException(source + ": strength '" + k.asText() + "' is not one of: "
                                        + "significantly better, better, slightly better, marginally better");
                            }
                            set.add(st);
                        }
                        s = set;
                    }
                }
                default -> {
                    // Shared trainer keys (lr, max-steps, ...) are TrainingConfig's; anything else is a typo.
                    if (!TrainingConfig.defaults().toMap().containsKey(e.getKey().replace('_', '-'))) {
                        throw new HerdInputException(source + ": unknown key '" + e.getKey() + "'");
                    }
                }
            }
        }
        return new DpoSettings(b, a, p, s, ef);
    }

    private static Map<String, JsonNode> fields(JsonNode n) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static double number(JsonNode v, String source, String key) {
        if (!v.isNumber()) {
            throw new HerdInputException(source + ": key '" + key + "' must be a number, got " + v);
        }
        return v.asDouble();
    }

    private static Iterable<JsonNode> list(JsonNode v, String source, String key) {
        if (!v.isArray()) {
            throw new HerdInputException(source + ": key '" + key + "' must be a list, got " + v);
        }
        return v;
    }
}
