package dev.herd.sampling;

import dev.herd.common.HerdInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Parses {@code --reward} specs into scorers. Verifiers are built in; other kinds ({@code rm:DIR} from the
 * reward-model stage, {@code verify:code} from the evals sandbox) are registered by the {@code herd} command,
 * which is the only place that sees every stage.
 */
public final class Scorers {

    private static final Map<String, Function<String, Scorer>> FACTORIES = new ConcurrentHashMap<>();

    static {
        register("verify:exact", arg -> new Verifier(Verifier.Kind.EXACT));
        register("verify:numeric", arg -> new Verifier(Verifier.Kind.NUMERIC));
        register("verify:regex", arg -> new Verifier(Verifier.Kind.REGEX));
        register("verify:auto", arg -> new Verifier(Verifier.Kind.AUTO));
    }

    private Scorers() {}

    /**
     * Adds a scorer kind. {@code prefix} is matched exactly ({@code verify:code}) or, ending in a colon
     * ({@code rm:}), as a prefix whose rest is passed to the factory ({@code rm:models/rm} → {@code models/rm}).
     */
    public static void register(String prefix, Function<String, Scorer> factory) {
        FACTORIES.put(prefix, factory);
    }

    /** A scorer for {@code spec}, or null for {@code none}. */
    public static Scorer parse(String spec) {
        if (spec == null || spec.equals("none")) {
            return null;
        }
        if (spec.contains(",") || spec.contains("=")) {
            List<Scorer> parts = new ArrayList<>();
            String[] items = spec.split(",");
            double[] weights = new double[items.length];
            for (int i = 0; i < items.length; i++) {
                int eq = items[i].lastIndexOf('=');
                if (eq < 0) {
                    throw new HerdInputException("--reward " + spec + ": give every part a weight (SCORER=W,SCORER=W)");
                }
                try {
                    weights[i] = Double.parseDouble(items[i].substring(eq + 1));
                } catch (NumberFormatException e) {
                    throw new HerdInputException("--reward " + spec + ": weight '" + items[i].substring(eq + 1) + "' is not a number");
                }
                parts.add(single(items[i].substring(0, eq).strip()));
            }
            return new WeightedScorer(parts, weights, spec);
        }
        return single(spec.strip());
    }

    private static Scorer single(String spec) {
        Function<String, Scorer> exact = FACTORIES.get(spec);
        if (exact != null) {
            return exact.apply("");
        }
        for (Map.Entry<String, Function<String, Scorer>> e : FACTORIES.entrySet()) {
            if (e.getKey().endsWith(":") && spec.startsWith(e.getKey())) {
                return e.getValue().apply(spec.substring(e.getKey().length()));
            }
        }
        throw new HerdInputException("unknown scorer '" + spec + "'; known: none, "
                + String.join(", ", new java.util.TreeSet<>(FACTORIES.keySet())));
    }
}
