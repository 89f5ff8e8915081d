package dev.herd.datasets.curate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.Store;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a curation config — {@code {"steps": [{"step": "dedup", ...}, {"step": "rules", ...}, ...]}} — in order,
 * as one transaction, and reports what each step did.
 *
 * <pre>
 * dedup        table (sft|prompts), field (response|conversation), near (true), threshold (0.8), shingle (3),
 *              permutations (128), seed (0)
 * rules        max-apologies (1), max-emojis (3), max-exclamations (3), max-ngram-repeats (3), min-chars (1), max-chars (100000)
 * quality      group (prompt|topic), quantile (0.75), judge (scorer name, optional), judge-min (0)
 * difficulty   sql (expression giving the tag)
 * mix          by (topic|difficulty|source|origin), weights ({tag: w}), total, seed (0)
 * preferences  keep (["significantly better", "better"]), keep-ungraded (true), identical-threshold (0.9)
 * </pre>
 * Every step also takes {@code where}, a SQL condition limiting the rows it looks at (e.g. this round's
 * data); a top-level {@code where} limits all steps.
 */
public final class Curator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Curator() {}

    /** One step's outcome. */
    public record Outcome(String step, Map<String, Long> counts) {}

    public static List<CurationStep> parse(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
        return parse(root, file.toString());
    }

    /** Steps from a parsed config ({@code {"where"?, "steps": [...]}} or a list), {@code file} naming it in errors. */
    public static List<CurationStep> parse(JsonNode root, String file) {
        JsonNode steps = root != null && root.isArray() ? root : root == null ? null : root.get("steps");
        if (steps == null || !steps.isArray()) {
            throw new HerdInputException(file + ": expected {\"steps\": [...]} or a list of steps");
        }
        String where = null;
        if (root.isObject()) {
            for (java.util.Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!key.equals("steps") && !key.equals("where")) {
                    throw new HerdInputException(file + ": unknown key '" + key + "' (valid: steps, where)");
                }
            }
            where = text(root, "where", file + ": where");
        }
        List<CurationStep> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            CurationStep step = step(steps.get(i), file + ": steps[" + i + "]");
            out.add(where == null ? step : new Scoped(step, where));
        }
        return out;
    }

    private static String text(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new HerdInputException(where + " must be a non-empty SQL condition");
        }
        return v.asText();
    }

    /** The keys each step takes, to refuse typos rather than silently use a default. */
    private static final Map<String, List<String>> KEYS = Map.of(
            "dedup", List.of("table", "field", "near", "threshold", "shingle", "permutations", "seed"),
            "rules", List.of("max-apologies", "max-emojis", "max-exclamations", "max-ngram-repeats", "min-chars", "max-chars"),
            "quality", List.of("group", "quantile", "judge", "judge-min"),
            "difficulty", List.of("sql"),
            "mix", List.of("by", "weights", "total", "seed"),
            "preferences", List.of("keep", "keep-ungraded", "identical-threshold"));

    static CurationStep step(JsonNode s, String where) {
        if (s == null || !s.isObject()) {
            throw new HerdInputException(where + ": expected an object like {\"step\": \"dedup\", ...}");
        }
        String name = s.path("step").asText("");
        List<String> keys = KEYS.get(name);
        if (keys == null) {
            throw new HerdInputException(where + ": unknown step '" + name
                    + "' (dedup, rules, quality, difficulty, mix, preferences)");
        }
        for (java.util.Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("step") && !key.equals("where") && !keys.contains(key)) {
                throw new HerdInputException(where + ": unknown key '" + key + "' for step " + name + " (valid: "
                        + String.join(", ", keys) + ", where)");
            }
            JsonNode v = s.get(key);
            String want = switch (key) {
                case "step", "where", "table", "field", "group", "judge", "sql", "by" -> v.isTextual() ? null : "text";
                case "near", "keep-ungraded" -> v.isBoolean() ? null : "true or false";
                case "weights" -> v.isObject() && allNumbers(v) ? null : "an object of numbers";
                case "keep" -> v.isArray() ? null : "a list of strengths";
                default -> v.isNumber() ? null : "a number";
            };
            if (want != null && !v.isNull()) {
                throw new HerdInputException(where + ": '" + key + "' must be " + want + ", got " + v);
            }
        }
        String scope = text(s, "where", where + ": where");
        CurationStep step = parsed(name, s, where);
        return scope == null ? step : new Scoped(step, scope);
    }

    private static boolean allNumbers(JsonNode o) {
        for (JsonNode v : o) {
            if (!v.isNumber()) {
                return false;
            }
        }
        return true;
    }

    private static CurationStep parsed(String name, JsonNode s, String where) {
        try {
            return switch (name) {
                case "dedup" -> new Dedup(s.path("table").asText("sft"), s.path("field").asText("response"), s.path("near").asBoolean(true),
                        s.path("threshold").asDouble(0.8), s.path("shingle").asInt(3), s.path("permutations").asInt(128),
                        s.path("seed").asLong(0));
                case "rules" -> {
                    CleaningRules d = CleaningRules.defaults();
                    yield new CleaningRules(s.path("max-apologies").asInt(d.maxApologies()),
                            s.path("max-emojis").asInt(d.maxEmojis()), s.path("max-exclamations").asInt(d.maxExclamations()),
                            s.path("max-ngram-repeats").asInt(d.maxNgramRepeats()), s.path("min-chars").asInt(d.minChars()),
                            s.path("max-chars").asInt(d.maxChars()));
                }
                case "quality" -> new QualityFilter(s.path("group").asText("prompt"), s.path("quantile").asDouble(0.75),
                        s.hasNonNull("judge") ? s.get("judge").asText() : null, s.path("judge-min").asDouble(0));
                case "difficulty" -> new DifficultyTagger(s.path("sql").asText(null));
                case "mix" -> {
                    Map<String, Double> w = new LinkedHashMap<>();
                    s.path("weights").fields().forEachRemaining(e -> w.put(e.getKey(), e.getValue().asDouble()));
                    if (w.isEmpty() || !s.has("total")) {
                        throw new HerdInputException(where + ": mix needs \"weights\" and \"total\"");
                    }
                    yield new MixBalancer(s.path("by").asText("topic"), w, s.get("total").asLong(), s.path("seed").asLong(0));
                }
                case "preferences" -> {
                    List<String> keep = new ArrayList<>();
                    s.path("keep").forEach(k -> keep.add(k.asText()));
                    yield new PreferenceFilter(keep.isEmpty() ? List.of("significantly better", "better") : keep,
                            s.path("keep-ungraded").asBoolean(true), s.path("identical-threshold").asDouble(0.9));
                }
                default -> throw new IllegalStateException(name);
            };
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(where + ": " + e.getMessage());
        }
    }

    /** Runs the steps in order, all or nothing. */
    public static List<Outcome> run(Store store, List<CurationStep> steps) {
        return store.inTransaction(() -> applyAll(store, steps));
    }

    /** What the steps would do, leaving the store as it was. */
    public static List<Outcome> preview(Store store, List<CurationStep> steps) {
        return store.rolledBack(() -> applyAll(store, steps));
    }

    private static List<Outcome> applyAll(Store store, List<CurationStep> steps) throws Exception {
        List<Outcome> out = new ArrayList<>();
        for (CurationStep s : steps) {
            try {
                out.add(new Outcome(s.name(), s.apply(store, null)));
            } catch (java.sql.SQLException e) {
                // Most likely the user's own SQL (a where condition, a difficulty expression): bad input, not a crash.
                throw new HerdInputException("curate step '" + s.name() + "': SQL error (check its where and sql): "
                        + String.valueOf(e.getMessage()).split("\n")[0]);
            }
        }
        return out;
    }
}
