package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.Preference;
import dev.herd.datasets.RunRow;
import dev.herd.datasets.ScoredSample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.datasets.curate.Curator;
import dev.herd.evals.CodeRunner;
import dev.herd.evals.EvalModel;
import dev.herd.evals.EvalResults;
import dev.herd.evals.Evaluator;
import dev.herd.evals.LocalModel;
import dev.herd.evals.OpenAiModel;
import dev.herd.evals.SplitTask;
import dev.herd.evals.Task;
import dev.herd.evals.TaskResult;
import dev.herd.evals.Tasks;
import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelAverage;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.common.cli.HerdCommandLine;
import dev.herd.llama.cli.InitModelCommand;
import dev.herd.openai.OpenAiClient;
import dev.herd.recipes.synth.SynthData;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Carries out a recipe: Llama 3's rounds (reward model, rejection sampling, curation, SFT from the base, DPO from
 * the SFT model, averaging of runs, evaluation; the best candidate becomes the next round's policy) or a
 * distillation from a teacher. Every step goes through the {@link Ledger}, so running the same recipe again
 * after a crash or a {@code kill -9} continues where it stopped.
 */
public final class RecipeRunner {

    private final Recipe recipe;
    private final Ledger ledger;
    private final PrintStream out;
    private final String device;
    private final Path work;
    private final Path dataDir;
    /** The base (rounds) or the student's starting point (distill), once set up. */
    private Path start;

    public RecipeRunner(Recipe recipe, String device, PrintStream out) {
        dev.herd.recipes.HerdCli.registerScorers();   // the stages run in this process, with the scorers the CLI gives them
        this.recipe = recipe;
        this.ledger = new Ledger(recipe.db());
        this.out = out;
        this.device = device;
        this.work = recipe.work();
        this.dataDir = work.resolve("data");
    }

    /** Checks what can be checked without running anything: the store's owner, input models, data files. */
    public void preflight() {
        JsonNode root = recipe.root();
        if (recipe.type().equals("rounds")) {
            requireModel(root.get("base"), "base");
            if (root.path("start").has("model")) {
                requireModel(root.path("start").get("model"), "start.model");
            }
            if (recipe.stage("rm", 1) == null) {
                for (int r = 1; r <= recipe.rounds(); r++) {
                    JsonNode s = recipe.stage("sample", r);
                    if (s != null && s.path("reward").asText("").contains("{rm}")) {
                        throw new HerdInputException(recipe.source() + ": stages.sample.reward uses {rm} but no round trains a reward model");
                    }
                }
            }
        } else {
            requireModel(root.get("teacher"), "teacher");
            requireModel(root.get("student"), "student");
        }
        for (String k : List.of("sft", "prompts", "preferences")) {
            for (String f : Recipe.texts(recipe.data().path(k))) {
                if (!Files.isRegularFile(Path.of(f))) {
                    throw new HerdInputException(recipe.source() + ": data." + k + ": " + f + ": no such file");
                }
            }
        }
        for (String t : Recipe.texts(recipe.eval().path("tasks"))) {
            if (t.startsWith("custom:") && !t.contains("{data}") && !Files.isRegularFile(Path.of(t.substring(7)))) {
                throw new HerdInputException(recipe.source() + ": eval.tasks: " + t.substring(7) + ": no such file");
            }
        }
        try {
            Files.createDirectories(work);
            if (recipe.db().getParent() != null) {
                Files.createDirectories(recipe.db().getParent());
            }
        } catch (IOException e) {
            throw new HerdInputException(work + ": cannot create the work folder (" + e.getMessage() + ")");
        }
        ledger.with(s -> {
            Ledger.claim(s, recipe);
            return null;
        });
    }

    private void requireModel(JsonNode m, String what) {
        if (m != null && m.isTextual() && !Files.isRegularFile(Path.of(m.asText()).resolve("config.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ": " + m.asText() + " is not a model folder (no config.json)");
        }
        JsonNode tok = m == null ? null : m.path("init").get("tokenizer");
        if (tok != null && !Files.isRegularFile(Path.of(tok.asText()).resolve("tokenizer.json"))) {
            throw new HerdInputException(recipe.source() + ": " + what + ".init.tokenizer: " + tok.asText() + " has no tokenizer.json"
                    + " (relative paths are from the current directory: " + Path.of("").toAbsolutePath() + ")");
        }
    }

    public void run() {
        long t0 = System.nanoTime();
        preflight();
        out.printf("recipe %s (%s) — work %s, store %s%n", recipe.name(), recipe.type(), work, recipe.db());
        setup();
        if (recipe.type().equals("rounds")) {
            rounds();
        } else {
            distill();
        }
        out.println();
        ledger.with(s -> {
            RoundTable.print(s, out);
            return null;
        });
        out.printf("%nfinished in %s; `herd report --db %s --out report.html` charts it%n",
                RoundTable.duration((System.nanoTime() - t0) / 1e9), recipe.db());
    }

    // ---- set-up: data and starting models ----

    private void setup() {
        JsonNode data = recipe.data();
        List<Path> sft = new ArrayList<>();
        List<Path> prompts = new ArrayList<>();
        List<Path> prefs = new ArrayList<>();
        if (data.has("synth")) {
            JsonNode s = data.get("synth");
            step(0, "setup", "synth", s, () -> {
                SynthData.write(dataDir, s.path("seed").asLong(recipe.seed()), new SynthData.Counts(s.path("sft").asInt(2000),
                        s.path("prompts").asInt(500), s.path("preferences").asInt(1000), s.path("eval").asInt(200)));
                return new Outcome(dataDir.toString(), null);
            }, "writing the synthetic task family to " + dataDir);
            sft.add(dataDir.resolve(SynthData.SFT));
            prompts.add(dataDir.resolve(SynthData.PROMPTS));
            prefs.add(dataDir.resolve(SynthData.PREFERENCES));
        }
        Recipe.texts(data.path("sft")).forEach(f -> sft.add(Path.of(f)));
        Recipe.texts(data.path("prompts")).forEach(f -> prompts.add(Path.of(f)));
        Recipe.texts(data.path("preferences")).forEach(f -> prefs.add(Path.of(f)));
        importFiles(Kind.SFT, sft);
        importFiles(Kind.PROMPTS, prompts);
        importFiles(Kind.PREFERENCE, prefs);
        JsonNode root = recipe.root();
        start = recipe.type().equals("rounds") ? initModel(root.get("base"), work.resolve("base"), "base")
                : initModel(root.get("student"), work.resolve("student-start"), "student");
    }

    private void importFiles(Kind kind, List<Path> files) {
        if (files.isEmpty()) {
            return;
        }
        String name = "import:" + kind.name().toLowerCase(java.util.Locale.ROOT);
        storingStep(0, "setup", name, Ledger.JSON.valueToTree(files.stream().map(Path::toString).toList()),
                () -> st -> new Outcome(kind.table, Ledger.JSON.createObjectNode().put("rows", new Importer(st).importFiles(kind, files))),
                "[setup] importing " + kind.name().toLowerCase(java.util.Locale.ROOT) + " data: " + files);
    }

    /** The folder of a starting model: given, or made by {@code herd init-model} from the recipe's settings. */
    private Path initModel(JsonNode spec, Path dir, String what) {
        if (spec.isTextual()) {
            return Path.of(spec.asText());
        }
        if (spec.has("init")) {
            JsonNode init = spec.get("init");
            step(0, "setup", what, init, () -> {
                List<String> args = new ArrayList<>(List.of("--out=" + dir));
                args.addAll(StageArgs.flags(init, StageArgs.INIT));
                if (!init.has("seed")) {
                    args.add("--seed=" + recipe.seed());
                }
                if (HerdCommandLine.run(new InitModelCommand(), args.toArray(String[]::new)) != 0) {
                    throw new HerdInputException(recipe.source() + ": " + what + ".init: herd init-model failed (see above)");
                }
                return new Outcome(dir.toString(), null);
            }, "initialising a random " + what + " model in " + dir);
            return dir;
        }
        return null;   // a remote teacher
    }

    // ---- the rounds ----

    private void rounds() {
        JsonNode root = recipe.root();
        Path base = start;
        int n = recipe.rounds();
        String policy;
        String startStage;
        Map<Integer, dev.herd.datasets.RoundRow> rounds = new LinkedHashMap<>();
        ledger.with(s -> {
            new Tables(s).rounds().forEach(r -> rounds.put(r.round(), r));
            return null;
        });
        if (root.path("start").has("sft")) {
            startStage = "sft";
            policy = train("sft", 0, root.path("start").get("sft"), List.of("--base=" + base, "--db=" + recipe.db(),
                    "--data=db:" + data(root.path("start").get("sft"), "coalesce(origin, '') <> 'rejection_sampling'", 0)),
                    work.resolve("r0/sft"), "SFT of the base on the seed data").toString();
        } else {
            startStage = "start";
            policy = root.path("start").has("model") ? root.path("start").get("model").asText() : base.toString();
        }
        evaluate(0, startStage, policy, SplitTask.Split.TEST);
        if (!rounds.containsKey(0) || !"done".equals(rounds.get(0).status())) {
            String p = policy;
            ledger.with(s -> {
                Tables t = new Tables(s);
                t.startRound(0, base.toString(), null);
                t.finishRound(0, p, null);
                return null;
            });
        }
        for (int r = 1; r <= n; r++) {
            dev.herd.datasets.RoundRow row = rounds.get(r);
            if (row != null && "done".equals(row.status())) {
                out.printf("[round %d/%d] done before: best %s%n", r, n, row.best());
                policy = row.best();
                continue;
            }
            String p = policy;
            int round = r;
            ledger.with(s -> {
                new Tables(s).startRound(round, p, null);
                return null;
            });
            policy = round(r, n, base, policy);
        }
        copyFinal(Path.of(policy));
    }

    private String round(int r, int n, Path base, String policy) {
        Path dir = work.resolve("r" + r);
        String tag = String.format("[round %d/%d]", r, n);
        Path rm = null;
        JsonNode rmSettings = recipe.stage("rm", r);
        if (rmSettings != null) {
            rm = train("rm", r, rmSettings, withWhere(List.of("--base=" + base, "--db=" + recipe.db()), rmSettings, r),
                    dir.resolve("rm"), tag + " reward model from the base on every ranking so far");
        }
        JsonNode sample = recipe.stage("sample", r);
        if (sample != null) {
            sample(r, "train", sample, Path.of(policy), null, rm, tag + " rejection sampling from " + policy, promptSlice(sample, r));
        }
        JsonNode curate = recipe.stage("curate", r);
        if (curate != null) {
            curate(r, curate, tag);
        }
        JsonNode sft = recipe.stage("sft", r);
        String sftData = data(sft, "coalesce(origin, '') <> 'rejection_sampling' OR round <= {round}", r);
        Path sftOut = train("sft", r, sft, List.of("--base=" + base, "--db=" + recipe.db(), "--data=db:" + sftData),
                dir.resolve("sft"), tag + " SFT from the base on the seed data + rejection-sampled data of rounds 1.." + r);
        Map<String, Path> candidates = new LinkedHashMap<>();
        candidates.put("sft", sftOut);
        JsonNode dpo = recipe.stage("dpo", r);
        if (dpo != null) {
            Path dpoOut = train("dpo", r, dpo, List.of("--policy=" + sftOut, "--ref=" + sftOut, "--db=" + recipe.db(),
                    "--data=db:" + data(dpo, "round = {round} OR round IS NULL", r)), dir.resolve("dpo"),
                    tag + " DPO from the SFT model (reference: the SFT model) on this round's and human rankings");
            candidates.put("dpo", dpoOut);
        }
        Best best = evaluateCandidates(r, candidates);
        finishRound(r, best, rsRows(r, sftData));
        out.printf("%s best on dev: %s (%.4f) becomes the policy%n", tag, best.model(), best.score());
        return best.model();
    }

    /** The round's winner on the primary dev score. */
    private record Best(String model, double score) {}

    /**
     * Chooses among the candidates on the dev split (ties go to the later one: DPO builds on SFT), then scores
     * every candidate on the test split for the report. The choice is made before any test item is read.
     */
    private Best evaluateCandidates(int r, Map<String, Path> candidates) {
        Best best = new Best(null, Double.NEGATIVE_INFINITY);
        for (Map.Entry<String, Path> c : candidates.entrySet()) {
            double score = evaluate(r, c.getKey(), c.getValue().toString(), SplitTask.Split.DEV);
            if (score >= best.score()) {
                best = new Best(c.getValue().toString(), score);
            }
        }
        for (Map.Entry<String, Path> c : candidates.entrySet()) {
            evaluate(r, c.getKey(), c.getValue().toString(), SplitTask.Split.TEST);
        }
        return best;
    }

    private void finishRound(int r, Best best, long rsRows) {
        ledger.with(st -> {
            new Tables(st).finishRound(r, best.model(), Ledger.JSON.createObjectNode().put("dev_score", best.score())
                    .put("rs_rows", rsRows).toString());
            return null;
        });
    }

    /** How many of round {@code r}'s rejection-sampled rows the round's SFT trained on ({@code sftData}, after curation). */
    private long rsRows(int r, String sftData) {
        return ledger.with(s -> s.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND origin = 'rejection_sampling' AND round = ? AND ("
                + sftData + ")", r));
    }

    /** Copies the final policy to WORK/final, the folder later recipes (e.g. distillation) start from. */
    private void copyFinal(Path policy) {
        Path fin = work.resolve("final");
        step(0, "setup", "final", null, () -> {
            ModelFolder.writeAtomically(fin, tmp -> {
                try (var files = Files.list(policy)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        if (Files.isRegularFile(f)) {
                            Files.copy(f, tmp.resolve(f.getFileName()));
                        }
                    }
                }
            });
            return new Outcome(fin.toString(), Ledger.JSON.createObjectNode().put("from", policy.toString()));
        }, "copying the final policy " + policy + " to " + fin);
    }

    // ---- distillation ----

    private void distill() {
        JsonNode root = recipe.root();
        JsonNode teacher = root.get("teacher");
        boolean remote = teacher.isObject();
        String teacherModel = remote ? teacher.get("url").asText() : teacher.asText();
        String teacherName = remote ? teacher.path("model").asText(null) : null;
        evaluate(0, "start", start.toString(), SplitTask.Split.TEST);
        evaluate(0, "teacher", remote ? teacherModel + (teacherName == null ? "" : "#" + teacherName) : teacherModel, SplitTask.Split.TEST);
        int r = 1;
        String tag = "[distill]";
        Path dir = work.resolve("r1");
        ledger.with(s -> {
            Tables t = new Tables(s);
            if (t.rounds().stream().noneMatch(x -> x.round() == 0)) {
                t.startRound(0, start.toString(), null);
                t.finishRound(0, start.toString(), null);
            }
            return null;
        });
        boolean roundDone = ledger.with(s -> new Tables(s).rounds().stream().anyMatch(x -> x.round() == 1 && "done".equals(x.status())));
        if (!roundDone) {
            ledger.with(s -> {
                new Tables(s).startRound(1, teacherModel, null);
                return null;
            });
        }
        JsonNode sample = recipe.stage("sample", r);
        String slice = promptSlice(sample, r);
        sample(r, "teacher", sample, remote ? null : Path.of(teacherModel), remote ? teacher : null, null,
                tag + " " + sample.path("n").asInt(8) + " samples per prompt from the teacher " + teacherModel, slice);
        JsonNode curate = recipe.stage("curate", r);
        if (curate != null) {
            curate(r, curate, tag);
        }
        JsonNode sft = recipe.stage("sft", r);
        String sftData = data(sft, "origin = 'rejection_sampling' AND round = {round}", r);
        Path sftOut = train("sft", r, sft, List.of("--base=" + start, "--db=" + recipe.db(), "--data=db:" + sftData), dir.resolve("sft"),
                tag + " SFT of the student on the teacher's best samples");
        Map<String, Path> candidates = new LinkedHashMap<>();
        candidates.put("sft", sftOut);
        JsonNode dpo = recipe.stage("dpo", r);
        if (dpo != null) {
            sample(r, "student", sample, sftOut, null, null, tag + " samples from the SFT-ed student, for its worst answers", slice);
            String scorer = scorerName(sample, null);
            storingStep(r, "pairs", "teacher-vs-student", null, () -> st -> pairs(st, r, scorer, teacherModel, remote, teacherName, sftOut),
                    tag + " preference pairs: the teacher's best over the student's worst");
            Path dpoOut = train("dpo", r, dpo, List.of("--policy=" + sftOut, "--ref=" + sftOut, "--db=" + recipe.db(),
                    "--data=db:" + data(dpo, "source = 'distill' AND round = {round}", r)), dir.resolve("dpo"),
                    tag + " DPO of the student on teacher-best vs student-worst pairs");
            candidates.put("dpo", dpoOut);
        }
        Best best = evaluateCandidates(r, candidates);
        if (!roundDone) {
            finishRound(r, best, rsRows(r, sftData));
        }
    }

    /** Preference rows (teacher best, student worst) where the teacher's best scored higher, stored with the step's end. */
    private static Outcome pairs(Store s, int r, String scorer, String teacherModel, boolean remote, String teacherName,
                                 Path student) {
        String tModel = remote ? teacherName + "@" + teacherModel : Path.of(teacherModel).toAbsolutePath().normalize().toString();
        String sModel = student.toAbsolutePath().normalize().toString();
        Tables t = new Tables(s);
        Map<Long, ScoredSample> best = new LinkedHashMap<>();
        for (ScoredSample x : t.bestSamples(scorer, "round = " + r + " AND model = '" + tModel.replace("'", "''") + "'")) {
            best.put(x.sample().promptId(), x);
        }
        Map<Long, Double> worstScore = new LinkedHashMap<>();
        Map<Long, String> worst = new LinkedHashMap<>();
        for (List<Object> row : t.rows("SELECT s.prompt_id, s.response, v.value FROM samples s JOIN scores v ON v.sample_id = s.id "
                + "WHERE v.scorer = '" + scorer.replace("'", "''") + "' AND s.round = " + r + " AND s.model = '"
                + sModel.replace("'", "''") + "' ORDER BY s.prompt_id, v.value, s.id")) {
            long pid = ((Number) row.get(0)).longValue();
            if (!worst.containsKey(pid)) {
                worst.put(pid, (String) row.get(1));
                worstScore.put(pid, ((Number) row.get(2)).doubleValue());
            }
        }
        Map<Long, List<ChatMessage>> prompts = new LinkedHashMap<>();
        t.prompts("id IN (SELECT prompt_id FROM samples WHERE round = " + r + ")").forEach(p -> prompts.put(p.id(), p.asMessages()));
        List<Preference> rows = new ArrayList<>();
        best.forEach((pid, b) -> {
            if (worst.containsKey(pid) && b.score() > worstScore.get(pid) && prompts.containsKey(pid)) {
                rows.add(new Preference(0, prompts.get(pid), b.sample().response(), worst.get(pid), null, null, "distill", r, null));
            }
        });
        t.addPreferences(rows, null);
        return new Outcome("preferences", Ledger.JSON.createObjectNode().put("pairs", rows.size()));
    }

    // ---- stages ----

    /** The result of a step: what it made and what it measured. */
    record Outcome(String output, ObjectNode metrics) {}

    interface Work {
        Outcome run() throws Exception;
    }

    /** What a step writes to the store: runs in the transaction that marks the step done. */
    interface Rows {
        Outcome write(Store s);
    }

    /** Runs {@code work} as a resumable step unless it is done; returns its (possibly earlier) outcome. */
    private Outcome step(int round, String stage, String name, JsonNode config, Work work, String what) {
        return storingStep(round, stage, name, config, () -> {
            Outcome o = work.run();
            return s -> o;
        }, what);
    }

    /**
     * A resumable step whose {@code work} (outside any transaction: training, generation) returns the rows to
     * write; they commit together with the step's end, so a kill leaves both or neither and a rerun never
     * stores them twice.
     */
    private Outcome storingStep(int round, String stage, String name, JsonNode config, java.util.concurrent.Callable<Rows> work,
                                String what) {
        RunRow done = ledger.done(round, stage, name);
        String label = round == 0 && stage.equals("setup") ? "[setup] " + name : "[round " + round + "] " + stage + (name.equals("train") ? "" : " " + name);
        if (done != null) {
            out.printf("%s: done before, skipped%n", label);
            return new Outcome(done.output(), Ledger.metrics(done));
        }
        out.printf("%s%n", what);
        long t0 = System.nanoTime();
        long id = ledger.begin(round, stage, name, config);
        Outcome o;
        try {
            Rows rows = work.call();
            o = ledger.with(s -> s.inTransaction(() -> {
                Outcome written = rows.write(s);
                Ledger.finish(s, id, written.output(), written.metrics());
                return written;
            }));
        } catch (RuntimeException e) {
            ledger.fail(id, String.valueOf(e.getMessage()));
            throw e;
        } catch (Exception e) {
            ledger.fail(id, String.valueOf(e.getMessage()));
            throw new IllegalStateException(e);
        }
        out.printf("  %s done in %s%s%n", stage, RoundTable.duration((System.nanoTime() - t0) / 1e9), summary(o.metrics()));
        return o;
    }

    private static String summary(ObjectNode m) {
        if (m == null || m.isEmpty()) {
            return "";
        }
        if (m.has("scores")) {
            return ": " + RoundTable.describe(m);
        }
        StringBuilder sb = new StringBuilder(":");
        m.fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) {
                sb.append(' ').append(e.getKey()).append(' ').append(e.getValue().isIntegralNumber()
                        ? String.valueOf(e.getValue().asLong()) : String.format("%.4f", e.getValue().asDouble()));
            }
        });
        return sb.length() == 1 ? "" : sb.toString();
    }

    /**
     * A training stage (rm, sft, dpo): one run per entry of {@code runs} (each laid over the stage's settings), then,
     * with several runs, their weighted average. Returns the stage's model folder.
     */
    private Path train(String stage, int round, JsonNode settings, List<String> managed, Path out, String what) {
        List<JsonNode> runs = new ArrayList<>();
        if (settings.has("runs")) {
            settings.get("runs").forEach(runs::add);
        } else {
            runs.add(Ledger.JSON.createObjectNode());
        }
        StageArgs.Spec spec = StageArgs.SPECS.get(stage);
        List<Path> outs = new ArrayList<>();
        List<ObjectNode> runMetrics = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Path o = runs.size() == 1 ? out : out.resolveSibling(out.getFileName() + "-run" + (i + 1));
            outs.add(o);
            JsonNode run = runs.get(i);
            List<String> args = new ArrayList<>(managed);
            args.add("--out=" + o);
            args.addAll(StageArgs.flags(settings, spec));
            args.addAll(StageArgs.flags(run, spec));
            if (!settings.has("seed") && !run.has("seed")) {
                args.add("--seed=" + (recipe.seed() * 1000 + round * 10 + i));
            }
            String name = runs.size() == 1 ? "train" : "run" + (i + 1);
            String label = runs.size() == 1 ? what : what + " (run " + (i + 1) + " of " + runs.size() + ")";
            Outcome res = step(round, stage, name, Ledger.JSON.valueToTree(args), () -> {
                StageArgs.run(stage, args, "round " + round + " " + stage);
                ObjectNode m = trainMetrics(o);
                dropCheckpoints(o);
                return new Outcome(o.toString(), m);
            }, label + " -> " + o);
            runMetrics.add(res.metrics());
        }
        if (runs.size() == 1) {
            return out;
        }
        double[] w = new double[runs.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = settings.has("weights") ? settings.get("weights").get(i).asDouble() : 1.0;
        }
        step(round, stage, "average", null, () -> {
            ModelAverage.average(outs, w, out);
            return new Outcome(out.toString(), mean(runMetrics));
        }, String.format("[round %d] %s: averaging the weights of %d runs -> %s", round, stage, runs.size(), out));
        return out;
    }

    /** The last held-out metrics a trainer logged ({@code eval_*} keys of {@code train_metrics.jsonl}). */
    static ObjectNode trainMetrics(Path model) throws IOException {
        ObjectNode m = Ledger.JSON.createObjectNode();
        Path f = model.resolve("train_metrics.jsonl");
        if (!Files.exists(f)) {
            return m;
        }
        for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = Ledger.JSON.readTree(line);
            n.fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("eval_") || e.getKey().equals("loss") || e.getKey().equals("step")) {
                    m.set(e.getKey(), e.getValue());
                }
            });
        }
        return m;
    }

    private static ObjectNode mean(List<ObjectNode> runs) {
        ObjectNode m = Ledger.JSON.createObjectNode();
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (ObjectNode r : runs) {
            r.fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[2]);
                    s[0] += e.getValue().asDouble();
                    s[1]++;
                }
            });
        }
        sums.forEach((k, s) -> m.put(k, s[0] / s[1]));
        return m;
    }

    private void dropCheckpoints(Path model) {
        Path ckpt = model.resolveSibling(model.getFileName() + ".ckpt");
        if (!recipe.keepCheckpoints() && Files.isDirectory(ckpt)) {
            ModelFolder.deleteTree(ckpt);
        }
    }

    /** The stage's {@code data} condition, or the loop's default, with {@code {round}} filled in. */
    private static String data(JsonNode settings, String dflt, int round) {
        return settings.path("data").asText(dflt).replace("{round}", String.valueOf(round));
    }

    private static List<String> withWhere(List<String> managed, JsonNode settings, int round) {
        List<String> out = new ArrayList<>(managed);
        if (settings.has("data")) {
            out.add("--where=" + data(settings, "true", round));
        }
        return out;
    }

    /** The prompts a round samples: a window of {@code prompts-per-round} that moves on each round (all by default). */
    private static String promptSlice(JsonNode sample, int round) {
        int n = sample.path("prompts-per-round").asInt(0);
        if (n <= 0) {
            return "true";
        }
        return "id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i, count(*) OVER () AS c FROM prompts "
                + "WHERE removed_by IS NULL) WHERE ((i - " + (long) (round - 1) * n + ") % c + c) % c < " + n + ")";
    }

    private String scorerName(JsonNode sample, Path rm) {
        String reward = sample.path("reward").asText("none");
        return rm == null ? reward : reward.replace("{rm}", rm.toString());
    }

    /** Rejection sampling through {@code herd sample} (which resumes prompt by prompt), measured from the store. */
    private void sample(int round, String name, JsonNode settings, Path local, JsonNode remote, Path rm, String what,
                        String prompts) {
        String model = local != null ? local.toString() : remote.get("url").asText();
        StageArgs.Spec spec = StageArgs.SPECS.get("sample");
        // A distillation's student is sampled only for its worst answers: they are not training data.
        List<String> args = new ArrayList<>(List.of("--model=" + model, "--db=" + recipe.db(), "--prompts=db:" + prompts,
                "--round=" + round, name.equals("student") ? "--no-keep" : "--pairs"));
        if (remote != null && remote.has("model")) {
            args.add("--model-name=" + remote.get("model").asText());
        }
        String scorer = scorerName(settings, rm);
        for (String f : StageArgs.flags(settings, spec)) {
            args.add(f.startsWith("--reward=") ? "--reward=" + scorer : f);
        }
        if (!settings.has("seed")) {
            args.add("--seed=" + (recipe.seed() * 1000 + round));
        }
        if (!settings.has("device")) {
            args.add("--device=" + device);
        }
        String stored = local != null ? local.toAbsolutePath().normalize().toString()
                : remote.path("model").asText("null") + "@" + model;
        step(round, "sample", name, Ledger.JSON.valueToTree(args), () -> {
            StageArgs.run("sample", args, "round " + round + " sample");
            return new Outcome("samples", sampleMetrics(round, stored, scorer));
        }, what);
    }

    private ObjectNode sampleMetrics(int round, String model, String scorer) {
        return ledger.with(s -> {
            Tables t = new Tables(s);
            String m = model.replace("'", "''");
            ObjectNode o = Ledger.JSON.createObjectNode();
            o.put("samples", s.count("SELECT count(*) FROM samples WHERE round = ? AND model = ?", round, model));
            List<List<Object>> all = t.rows("SELECT avg(v.value) FROM scores v JOIN samples s ON s.id = v.sample_id WHERE s.round = "
                    + round + " AND s.model = '" + m + "' AND v.scorer = '" + scorer.replace("'", "''") + "'");
            if (!all.isEmpty() && all.get(0).get(0) != null) {
                o.put("mean_score", ((Number) all.get(0).get(0)).doubleValue());
                List<ScoredSample> best = t.bestSamples(scorer, "round = " + round + " AND model = '" + m + "'");
                o.put("mean_best_score", best.stream().mapToDouble(ScoredSample::score).average().orElse(0));
                o.put("prompts", best.size());
            }
            PassRates rates = PassRates.of(s, round, model);
            if (rates != null) {
                o.put("k", rates.k()).put("pass@1", rates.pass1()).put("pass@k", rates.passK());
            }
            return o;
        });
    }

    private void curate(int round, JsonNode settings, String tag) {
        String where = settings.path("where").asText("round = {round}").replace("{round}", String.valueOf(round));
        var steps = CurateStage.parseSteps(settings.get("steps"), where, recipe.source() + ": stages.curate");
        // Curation commits with the step's end: re-running a quantile filter would cut twice.
        storingStep(round, "curate", "train", settings, () -> st -> {
            ObjectNode m = Ledger.JSON.createObjectNode();
            for (Curator.Outcome o : Curator.run(st, steps)) {
                o.counts().forEach((k, v) -> m.put(o.step() + "." + k, v));
            }
            m.put("kept_sft", st.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND round = ?", round));
            return new Outcome("sft", m);
        }, tag + " curating this round's rejection-sampled data (" + where + ")");
    }

    /**
     * Evaluates a candidate on one side of the recipe's tasks' fixed dev/test split ({@link SplitTask}), storing
     * the scores with the step's end; returns the primary score (the first task's first metric, or
     * {@code eval.primary}). Dev scores only ever choose; test scores only ever report.
     */
    private double evaluate(int round, String candidate, String model, SplitTask.Split split) {
        JsonNode ev = recipe.eval();
        List<String> names = new ArrayList<>();
        for (String t : Recipe.texts(ev.path("tasks"))) {
            names.add(t.replace("{data}", dataDir.toString()));
        }
        String primary = ev.has("primary") ? ev.get("primary").asText().replace("{data}", dataDir.toString()) : names.get(0);
        String stepName = split == SplitTask.Split.TEST ? candidate : candidate + "@" + split.label();
        Outcome o = storingStep(round, "eval", stepName, ev, () -> {
            Path dataDirFlag = ev.has("data-dir") ? Path.of(ev.get("data-dir").asText()) : Path.of("../shared/benchmarks");
            List<Task> tasks = new ArrayList<>();
            for (String t : names) {
                tasks.add(SplitTask.of(Tasks.load(t, Files.isDirectory(dataDirFlag) ? dataDirFlag : null, -1), split, recipe.devFraction()));
            }
            List<TaskResult> results = new ArrayList<>();
            boolean remote = OpenAiClient.isUrl(model);
            int hash = model.indexOf('#');
            try (EvalModel m = remote
                    ? new OpenAiModel(hash < 0 ? model : model.substring(0, hash), System.getenv("OPENAI_API_KEY"),
                            hash < 0 ? null : model.substring(hash + 1), 8, 3)
                    : new LocalModel(Path.of(model), device, ev.path("batch").asInt(16))) {
                Evaluator e = new Evaluator(m, null, 1, 0.8, recipe.seed(), CodeRunner.defaults(), 10000);
                for (Task t : tasks) {
                    results.add(e.run(t, ev.path("limit").asInt(0)));
                }
            }
            ObjectNode metrics = Ledger.JSON.createObjectNode();
            metrics.put("model", model);
            metrics.put("split", split.label());
            ArrayNode scores = metrics.putArray("scores");
            for (TaskResult r : results) {
                r.metrics().forEach((k, ci) -> scores.addObject().put("task", r.task()).put("metric", k).put("score", ci.score())
                        .put("n", ci.n()).put("lo", ci.low()).put("hi", ci.high()));
            }
            return st -> {
                long evalId = new EvalResults(st).save(model, results, Ledger.JSON.createObjectNode().put("recipe", recipe.name())
                        .put("round", round).put("candidate", candidate).put("split", split.label()).toString());
                metrics.put("eval_run", evalId);
                return new Outcome(String.valueOf(evalId), metrics);
            };
        }, "[round " + round + "] evaluating " + candidate + " (" + model + ") on the " + split.label() + " split of "
                + String.join(", ", names));
        return primaryScore(o.metrics(), primary);
    }

    static double primaryScore(ObjectNode metrics, String primary) {
        for (JsonNode s : metrics.path("scores")) {
            if (s.path("task").asText().equals(primary)) {
                return s.path("score").asDouble();
            }
        }
        JsonNode first = metrics.path("scores").path(0);
        return first.isMissingNode() ? Double.NaN : first.path("score").asDouble();
    }

    /** For tests: the recipe's work folder. */
    Path work() {
        return work;
    }
}
