package dev.herd.sampling.scoring;

import dev.herd.common.HerdInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The scorer kinds a run may name in a {@code reward} spec, and the parser of such specs. The verifiers are
 * always there; kinds from other stages ({@code rm:DIR} from the reward model, {@code verify:code} from the evals
 * sandbox) are added by whoever sees those stages ({@code herd}, a recipe) with {@link #with}: an immutable value
 * passed in, not a global registry.
 */
public final class Scorers {

    /** Makes a scorer of one kind: {@code arg} is the spec after the kind's prefix, {@code device} where it runs. */
    @FunctionalInterface
    public interface Factory {
        Scorer open(String arg, String device);
    }

    private final Map<String, Factory> kinds;

    private Scorers(Map<String, Factory> kinds) {
        this.kinds = Map.copyOf(kinds);
    }

    /** The built-in verifiers only. */
    public static Scorers verifiers() {
        Map<String, Factory> k = new LinkedHashMap<>();
        k.put("verify:exact", (arg, device) -> new Verifier(Verifier.Kind.EXACT));
        k.put("verify:numeric", (arg, device) -> new Verifier(Verifier.Kind.NUMERIC));
        k.put("verify:regex", (arg, device) -> new Verifier(Verifier.Kind.REGEX));
        k.put("verify:auto", (arg, device) -> new Verifier(Verifier.Kind.AUTO));
        return new Scorers(k);
    }

    /**
     * These kinds and one more. {@code prefix} is matched exactly ({@code verify:code}) or, ending in a colon
     * ({@code rm:}), as a prefix whose rest is passed to the factory ({@code rm:models/rm} → {@code models/rm}).
     */
    public Scorers with(String prefix, Factory factory) {
        Map<String, Factory> k = new LinkedHashMap<>(kinds);
        k.put(prefix, factory);
        return new Scorers(k);
    }

    /** A scorer for {@code spec} running on {@code device}, or null for {@code none}. */
    public Scorer parse(String spec, String device) {
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
                parts.add(single(items[i].substring(0, eq).strip(), device));
            }
            return new WeightedScorer(parts, weights, spec);
        }
        return single(spec.strip(), device);
    }

    /** On the CPU. */
    public Scorer parse(String spec) {
        return parse(spec, "cpu");
    }

    private Scorer single(String spec, String device) {
        Factory exact = kinds.get(spec);
        if (exact != null) {
            return exact.open("", device);
        }
        for (Map.Entry<String, Factory> e : kinds.entrySet()) {
            if (e.getKey().endsWith(":") && spec.startsWith(e.getKey())) {
                return e.getValue().open(spec.substring(e.getKey().length()), device);
            }
        }
        throw new HerdInputException("unknown scorer '" + spec + "'; known: none, " + String.join(", ", new TreeSet<>(kinds.keySet())));
    }
}
