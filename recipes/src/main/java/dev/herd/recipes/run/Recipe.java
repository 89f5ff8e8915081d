package dev.herd.recipes.run;

import dev.herd.dpo.DpoConfig;
import dev.herd.evals.EvalConfig;
import dev.herd.evals.Tasks;
import dev.herd.llama.InitConfig;
import dev.herd.rm.RmConfig;
import dev.herd.sampling.SampleConfig;
import dev.herd.sft.SftConfig;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A recipe file, checked as a whole before anything runs: which loop ({@code rounds}, Llama 3's alignment
 * rounds, or {@code distill}), the starting models, the data, the evaluation and each stage's settings. Stage
 * settings are the keys of the stage's config table ({@code SftConfig.SETTINGS}, …: the same names as the
 * command's flags, {@code "lr"}, {@code "max-steps"}) plus the few keys the loop adds ({@code runs},
 * {@code weights}, {@code data}). The file format stays JSON; the runner reads it only through the typed plans
 * ({@link TrainPlan}, {@link SamplePlan}, {@link CuratePlan}, {@link EvalPlan}) built here, every round's
 * built once at load so a typo fails before anything runs.
 *
 * @param source    the file, for error messages
 * @param root      the parsed JSON
 * @param sha256    hash of the recipe's canonical JSON: a store remembers which recipe filled it
 */
public record Recipe(Path source, String name, String type, long seed, Path work, Path db, JsonNode root, String sha256) {

    public static final List<String> TYPES = List.of("rounds", "distill");
    /** Stages of one alignment round, in the order they run. */
    public static final List<String> ROUND_STAGES = List.of("rm", "sample", "curate", "sft", "dpo");
    public static final List<String> DISTILL_STAGES = List.of("sample", "curate", "sft", "dpo");

    private static final Set<String> COMMON = Set.of("name", "description", "type", "seed", "work", "db", "data", "eval",
            "stages", "keep-checkpoints");
    private static final Set<String> ROUNDS_KEYS = Set.of("base", "start", "rounds", "round-overrides");
    private static final Set<String> DISTILL_KEYS = Set.of("teacher", "student");
    private static final Set<String> DATA_KEYS = Set.of("synth", "sft", "prompts", "preferences");
    private static final Set<String> SYNTH_KEYS = Set.of("seed", "sft", "prompts", "preferences", "eval");
    private static final Set<String> EVAL_KEYS = Set.of("tasks", "limit", "batch", "data-dir", "primary", "dev-fraction");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public static Recipe load(Path file) {
        return load(file, null, null);
    }

    /** Reads and checks {@code file}; {@code work} and {@code db}, when given, replace the recipe's. */
    public static Recipe load(Path file, Path work, Path db) {
        if (!Files.isRegularFile(file)) {
            throw new HerdInputException(file + ": no such recipe file");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + firstLine(e.getMessage()));
        }
        return parse(file, root, work, db);
    }

    /**
     * The packaged recipe {@code resource}, with {@code seed} (when given) as its seed and name suffix, and its
     * init tokenizer found in the checkout the {@code herd} launcher runs from ({@code herd.home}), so the demo
     * runs from any folder.
     */
    public static Recipe builtin(String resource, Long seed, Path work, Path db) {
        try (InputStream in = Recipe.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new HerdInputException("the built-in recipe is missing from the class path (" + resource + ")");
            }
            ObjectNode root = (ObjectNode) JSON.readTree(in);
            if (seed != null && seed != root.path("seed").asLong(0)) {
                root.put("seed", seed);
                root.put("name", root.get("name").asText() + "-seed-" + seed);
            }
            JsonNode init = root.path("base").path("init");
            String home = System.getProperty("herd.home");
            if (init.has("tokenizer") && home != null) {
                Path tok = Path.of(init.get("tokenizer").asText());
                if (!tok.isAbsolute() && !Files.isDirectory(tok) && Files.isDirectory(Path.of(home).resolve(tok))) {
                    ((ObjectNode) init).put("tokenizer", Path.of(home).resolve(tok).toString());
                }
            }
            String file = resource.substring(resource.lastIndexOf('/') + 1);
            return parse(Path.of("recipes/" + file), root, work, db);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Recipe parse(Path file, JsonNode root, Path work, Path db) {
        String where = file.toString();
        if (root == null || !root.isObject()) {
            throw new HerdInputException(where + ": a recipe is a JSON object");
        }
        String type = text(root, "type", where, "rounds");
        if (!TYPES.contains(type)) {
            throw new HerdInputException(where + ": type '" + type + "' is not one of " + TYPES);
        }
        Set<String> keys = new java.util.TreeSet<>(COMMON);
        keys.addAll(type.equals("rounds") ? ROUNDS_KEYS : DISTILL_KEYS);
        checkKeys(root, keys, where);
        String name = text(root, "name", where, null);
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new HerdInputException(where + ": 'name' must be a non-empty name of letters, digits, '.', '_' or '-'");
        }
        long seed = root.has("seed") ? integer(root, "seed", where) : 0;
        Path w = work != null ? work : Path.of(text(root, "work", where, "runs/" + name));
        Path d = db != null ? db : Path.of(text(root, "db", where, w.resolve("herd.duckdb").toString()));
        checkData(root.path("data"), where + ": data");
        checkEval(root.path("eval"), where + ": eval");
        List<String> stages = type.equals("rounds") ? ROUND_STAGES : DISTILL_STAGES;
        JsonNode st = root.path("stages");
        if (!st.isObject() || st.isEmpty()) {
            throw new HerdInputException(where + ": 'stages' must be an object with some of " + stages);
        }
        checkKeys(st, Set.copyOf(stages), where + ": stages");
        if (type.equals("rounds")) {
            if (!root.has("base")) {
                throw new HerdInputException(where + ": missing 'base' (a model folder, or {\"init\": {...}})");
            }
            checkModel(root.get("base"), where + ": base", false);
            if (!st.has("sft")) {
                throw new HerdInputException(where + ": stages needs 'sft': every round fine-tunes the base");
            }
            int rounds = root.has("rounds") ? (int) integer(root, "rounds", where) : 6;
            if (rounds < 1) {
                throw new HerdInputException(where + ": rounds must be >= 1, got " + rounds);
            }
            JsonNode start = root.path("start");
            if (!start.isMissingNode()) {
                checkKeys(start, Set.of("sft", "model"), where + ": start");
                if (start.has("sft") == start.has("model")) {
                    throw new HerdInputException(where + ": start takes one of 'sft' (settings) or 'model' (a folder)");
                }
                if (!start.has("sft")) {
                    checkModel(start.get("model"), where + ": start.model", false);
                }
            }
            JsonNode over = root.path("round-overrides");
            if (!over.isMissingNode()) {
                if (!over.isObject()) {
                    throw new HerdInputException(where + ": round-overrides must map round numbers to stage settings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    int r;
                    try {
                        r = Integer.parseInt(e.getKey());
                    } catch (NumberFormatException ex) {
                        throw new HerdInputException(where + ": round-overrides key '" + e.getKey() + "' is not a round number");
                    }
                    if (r < 1 || r > rounds) {
                        throw new HerdInputException(where + ": round-overrides names round " + r + " of 1.." + rounds);
                    }
                    checkKeys(e.getValue(), Set.copyOf(stages), where + ": round-overrides." + r);
                }
            }
        } else {
            if (!root.has("teacher") || !root.has("student")) {
                throw new HerdInputException(where + ": a distill recipe needs 'teacher' and 'student'");
            }
            checkModel(root.get("teacher"), where + ": teacher", true);
            checkModel(root.get("student"), where + ": student", false);
            if (!st.has("sample") || !st.has("sft")) {
                throw new HerdInputException(where + ": a distill recipe needs stages 'sample' (the teacher's) and 'sft' (the student's)");
            }
        }
        Recipe recipe = new Recipe(file, name, type, seed, w, d, root, sha256(root));
        recipe.plans("cpu");    // builds every round's typed settings: a typo fails now, not in round 4
        return recipe;
    }

    /** Every round's stage plans, built once to check them (the runner builds each round's again, on its device). */
    private void plans(String device) {
        if (type.equals("rounds") && root.path("start").has("sft")) {
            startSft(device);
        }
        int last = type.equals("rounds") ? rounds() : 1;
        for (int r = 1; r <= last; r++) {
            rm(r, device);
            sample(r, device);
            curate(r);
            sft(r, device);
            dpo(r, device);
        }
    }

    public int rounds() {
        return root.has("rounds") ? root.get("rounds").asInt() : 6;
    }

    public boolean keepCheckpoints() {
        return root.path("keep-checkpoints").asBoolean(false);
    }

    /**
     * A stage's settings for round {@code round}: the {@code stages} entry with that round's override keys laid
     * over it; null when the stage does not run (absent, or overridden with {@code false}).
     */
    public JsonNode stage(String stage, int round) {
        JsonNode base = root.path("stages").get(stage);
        JsonNode over = root.path("round-overrides").path(String.valueOf(round)).get(stage);
        if (over != null && over.isBoolean() && !over.asBoolean()) {
            return null;
        }
        if (base == null && over == null) {
            return null;
        }
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        if (base != null && base.isObject()) {
            merged.setAll((ObjectNode) base);
        }
        if (over != null && over.isObject()) {
            merged.setAll((ObjectNode) over);
        }
        return merged;
    }

    /** The data the recipe writes or imports. */
    DataPlan data() {
        return DataPlan.of(root.path("data"), seed);
    }

    /** The base of a rounds recipe. */
    ModelSpec base() {
        return ModelSpec.of(root.get("base"), seed, source + ": base");
    }

    /** A rounds recipe's given round-0 policy ({@code start.model}), or null. */
    ModelSpec startModel() {
        JsonNode m = root.path("start").get("model");
        return m == null ? null : ModelSpec.of(m, seed, source + ": start.model");
    }

    /** Whether round 0 fine-tunes the base on the seed data ({@code start.sft}). */
    boolean startsWithSft() {
        return root.path("start").has("sft");
    }

    ModelSpec teacher() {
        return ModelSpec.of(root.get("teacher"), seed, source + ": teacher");
    }

    ModelSpec student() {
        return ModelSpec.of(root.get("student"), seed, source + ": student");
    }

    /** The custom eval files the recipe names outside its synthetic data folder. */
    List<String> evalTaskNames() {
        return texts(root.path("eval").path("tasks"));
    }


    // ---- typed stage plans ----

    /** The seed-SFT of round 0 ({@code start.sft}), from the base. */
    TrainPlan<SftConfig> startSft(String device) {
        return train(root.path("start").get("sft"), 0, "start.sft", device, SftConfig::from);
    }

    TrainPlan<RmConfig> rm(int round, String device) {
        return train(stage("rm", round), round, stageName("rm", round), device, RmConfig::from);
    }

    TrainPlan<SftConfig> sft(int round, String device) {
        return train(stage("sft", round), round, stageName("sft", round), device, SftConfig::from);
    }

    TrainPlan<DpoConfig> dpo(int round, String device) {
        return train(stage("dpo", round), round, stageName("dpo", round), device, DpoConfig::from);
    }

    /** Round {@code round}'s sampling, or null when it does not sample; the seed defaults to one per recipe and round. */
    SamplePlan sample(int round, String device) {
        JsonNode s = stage("sample", round);
        if (s == null) {
            return null;
        }
        String where = source + ": " + stageName("sample", round);
        ObjectNode settings = ((ObjectNode) s).deepCopy();
        JsonNode window = settings.remove("prompts-per-round");
        if (window != null && !window.canConvertToInt()) {
            throw new HerdInputException(where + ".prompts-per-round: expected an integer");
        }
        if (!settings.has("seed")) {
            settings.put("seed", seed * 1000 + round);
        }
        if (!settings.has("device")) {
            settings.put("device", device);
        }
        return new SamplePlan(SampleConfig.from(settings, where), window == null ? 0 : window.asInt());
    }

    CuratePlan curate(int round) {
        JsonNode s = stage("curate", round);
        if (s == null) {
            return null;
        }
        String where = source + ": " + stageName("curate", round);
        checkKeys(s, Set.of("steps", "where"), where);
        if (!s.path("steps").isArray()) {
            throw new HerdInputException(where + ": 'steps' must be a list of curation steps (see herd data curate --help)");
        }
        return CuratePlan.of(s, round, where);
    }

    /** How candidates are evaluated; {@code {data}} in task names is the recipe's data folder. */
    EvalPlan eval(Path dataFolder, String device) {
        JsonNode ev = root.path("eval");
        List<String> tasks = new ArrayList<>();
        for (String t : texts(ev.path("tasks"))) {
            tasks.add(t.replace("{data}", dataFolder.toString()));
        }
        String primary = ev.has("primary") ? ev.get("primary").asText().replace("{data}", dataFolder.toString()) : tasks.get(0);
        Path benchmarks = ev.has("data-dir") ? Path.of(ev.get("data-dir").asText()) : Tasks.defaultDataDir();
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("batch", ev.path("batch").asInt(16)).put("limit", ev.path("limit").asInt(0)).put("seed", seed).put("device", device);
        return new EvalPlan(tasks, primary, benchmarks != null && Files.isDirectory(benchmarks) ? benchmarks : null, devFraction(),
                EvalConfig.from(c, source + ": eval"));
    }

    private String stageName(String stage, int round) {
        return root.path("round-overrides").path(String.valueOf(round)).has(stage)
                ? "round-overrides." + round + "." + stage : "stages." + stage;
    }

    /** The loop's own keys of a training stage; every other key is the stage config's. */
    private static final List<String> TRAIN_KEYS = List.of("runs", "weights", "data");

    private <C> TrainPlan<C> train(JsonNode settings, int round, String name, String device,
                                   java.util.function.BiFunction<JsonNode, String, C> config) {
        if (settings == null) {
            return null;
        }
        String where = source + ": " + name;
        if (!settings.isObject()) {
            throw new HerdInputException(where + ": expected a JSON object");
        }
        ObjectNode base = ((ObjectNode) settings).deepCopy();
        base.remove(TRAIN_KEYS);
        if (!base.has("device")) {
            base.put("device", device);
        }
        List<JsonNode> runs = new ArrayList<>();
        JsonNode given = settings.path("runs");
        if (given.isMissingNode()) {
            runs.add(JsonNodeFactory.instance.objectNode());
        } else if (!given.isArray() || given.isEmpty()) {
            throw new HerdInputException(where + ".runs: expected a non-empty list of setting overrides (one per run)");
        } else {
            given.forEach(runs::add);
        }
        double[] weights = new double[runs.size()];
        JsonNode w = settings.path("weights");
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 1.0;
        }
        if (!w.isMissingNode()) {
            if (!w.isArray() || w.size() != runs.size()) {
                throw new HerdInputException(where + ".weights: expected " + runs.size() + " positive numbers, one per run");
            }
            for (int i = 0; i < weights.length; i++) {
                if (!w.get(i).isNumber() || w.get(i).asDouble() <= 0) {
                    throw new HerdInputException(where + ".weights: expected positive numbers, got " + w.get(i));
                }
                weights[i] = w.get(i).asDouble();
            }
        }
        JsonNode data = settings.get("data");
        if (data != null && !data.isTextual()) {
            throw new HerdInputException(where + ".data: expected an SQL condition (text)");
        }
        List<TrainPlan.Run<C>> out = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            String runWhere = runs.size() == 1 && given.isMissingNode() ? where : where + ".runs[" + i + "]";
            if (!runs.get(i).isObject()) {
                throw new HerdInputException(runWhere + ": expected a JSON object");
            }
            for (String k : TRAIN_KEYS) {
                if (runs.get(i).has(k)) {
                    throw new HerdInputException(runWhere + ": '" + k + "' belongs to the stage, not to one run");
                }
            }
            ObjectNode s = base.deepCopy();
            s.setAll((ObjectNode) runs.get(i));
            if (!s.has("seed")) {
                s.put("seed", seed * 1000 + round * 10L + i);
            }
            out.add(new TrainPlan.Run<>(config.apply(s, runWhere), s));
        }
        return new TrainPlan<>(out, weights, data == null ? null : data.asText().replace("{round}", String.valueOf(round)));
    }

    // ---- checks ----

    static void checkKeys(JsonNode node, Set<String> valid, String where) {
        if (!node.isObject()) {
            throw new HerdInputException(where + ": expected a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!valid.contains(k)) {
                throw new HerdInputException(where + ": unknown key '" + k + "'; valid: "
                        + String.join(", ", new java.util.TreeSet<>(valid)));
            }
        }
    }

    /** A model is a folder, {"init": {...}} (a new random model) or, where remote is allowed, {"url", "model"}. */
    private static void checkModel(JsonNode m, String where, boolean remote) {
        if (m.isTextual()) {
            return;    // existence is checked by the runner, which knows which folders earlier steps make
        }
        if (m.isObject() && m.has("init")) {
            checkKeys(m, Set.of("init"), where);
            InitConfig.from(m.get("init"), where + ".init");
            return;
        }
        if (remote && m.isObject() && m.has("url")) {
            checkKeys(m, Set.of("url", "model"), where);
            return;
        }
        throw new HerdInputException(where + ": expected a model folder, {\"init\": {...}}"
                + (remote ? " or {\"url\": \"http://host:port/v1\", \"model\": NAME}" : ""));
    }

    private static void checkData(JsonNode data, String where) {
        if (data.isMissingNode()) {
            throw new HerdInputException(where + ": missing (give {\"synth\": {...}} and/or files: sft, prompts, preferences)");
        }
        checkKeys(data, DATA_KEYS, where);
        if (data.has("synth")) {
            checkKeys(data.get("synth"), SYNTH_KEYS, where + ".synth");
            data.get("synth").fields().forEachRemaining(e -> {
                if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 0) {
                    throw new HerdInputException(where + ".synth." + e.getKey() + ": expected a non-negative integer");
                }
            });
        }
        for (String k : List.of("sft", "prompts", "preferences")) {
            JsonNode files = data.path(k);
            if (!files.isMissingNode() && (!files.isArray() || !allText(files))) {
                throw new HerdInputException(where + "." + k + ": expected a list of file paths");
            }
        }
    }

    private static void checkEval(JsonNode eval, String where) {
        if (eval.isMissingNode()) {
            throw new HerdInputException(where + ": missing (give {\"tasks\": [...]})");
        }
        checkKeys(eval, EVAL_KEYS, where);
        JsonNode tasks = eval.path("tasks");
        if (!tasks.isArray() || tasks.isEmpty() || !allText(tasks)) {
            throw new HerdInputException(where + ".tasks: expected a non-empty list of task names");
        }
        for (String k : List.of("limit", "batch")) {
            if (eval.has(k) && !eval.get(k).isIntegralNumber()) {
                throw new HerdInputException(where + "." + k + ": expected an integer");
            }
        }
        if (eval.has("dev-fraction") && !(eval.get("dev-fraction").isNumber() && eval.get("dev-fraction").asDouble() > 0
                && eval.get("dev-fraction").asDouble() < 1)) {
            throw new HerdInputException(where + ".dev-fraction: expected a number between 0 and 1 (exclusive), got " + eval.get("dev-fraction"));
        }
    }

    /** The share of each eval task's items that candidates are chosen on; the rest is the test split (0.5 by default). */
    public double devFraction() {
        return root.path("eval").path("dev-fraction").asDouble(0.5);
    }

    private static boolean allText(JsonNode arr) {
        for (JsonNode n : arr) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static String text(JsonNode node, String key, String where, String dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new HerdInputException(where + ": '" + key + "' must be a string, got " + v);
        }
        return v.asText();
    }

    private static long integer(JsonNode node, String key, String where) {
        JsonNode v = node.get(key);
        if (!v.isIntegralNumber()) {
            throw new HerdInputException(where + ": '" + key + "' must be an integer, got " + v);
        }
        return v.asLong();
    }

    private static String sha256(JsonNode root) {
        try {
            // Canonical: keys sorted, so reformatting the file does not count as another recipe.
            ObjectMapper sorted = new ObjectMapper().configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
            Object tree = sorted.convertValue(root, Object.class);
            byte[] bytes = sorted.writeValueAsBytes(tree);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String firstLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }

    /** Text values of a JSON list (empty when absent). */
    static List<String> texts(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The {@code name → value} pairs of an object, in order. */
    static Map<String, JsonNode> fields(JsonNode obj) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        obj.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
