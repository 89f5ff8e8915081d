package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.RoundRow;
import dev.herd.datasets.RunRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.evals.Confidence;
import dev.herd.evals.EvalResults;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a recipe's store says about each round, read back from the {@code runs} and eval tables: the stage
 * metrics (RM held-out accuracy, the sampling policy's pass@1 and pass@K, the verified rows rejection sampling
 * added), every candidate's evaluation with its 95% CI on each split, the winner (chosen on the dev split), and
 * whether the winner beat round 0 on the test split's items (paired bootstrap CI of the difference). Gains are
 * only ever computed on test scores, which no choice read. {@code herd run} prints it at the end,
 * {@code herd report} prints, exports and charts it.
 */
public final class RoundTable {

    /** One evaluation: a candidate of a round on one task and metric. */
    public record Score(int round, String stage, String split, String model, String task, String metric, double score, int n,
                        double low, double high, long evalRun) {}

    /** A round's winner against round 0 on the primary task's test split. */
    public record Gain(int round, String stage, double diff, double low, double high, int n) {}

    /** The split every reported score and gain is on; stores from before the dev/test split have "all". */
    static final String TEST = "test";

    private final Map<Integer, Map<String, ObjectNode>> stageMetrics = new TreeMap<>();
    private final List<Score> scores = new ArrayList<>();
    private final Map<Integer, String> best = new TreeMap<>();
    private final Map<Integer, Long> rsRows = new TreeMap<>();
    private final List<Gain> gains = new ArrayList<>();

    private RoundTable() {}

    public static RoundTable read(Store store) {
        RoundTable t = new RoundTable();
        Tables tables = new Tables(store);
        for (RunRow r : tables.runs("status = 'done'")) {
            if (r.round() == null || r.stage().equals("setup")) {
                continue;
            }
            ObjectNode m = Ledger.metrics(r);
            if (r.stage().equals("eval")) {
                String model = m.path("model").asText();
                int at = r.name().indexOf('@');
                String stage = at < 0 ? r.name() : r.name().substring(0, at);
                String split = m.path("split").asText(at < 0 ? "all" : r.name().substring(at + 1));
                for (JsonNode s : m.path("scores")) {
                    t.scores.add(new Score(r.round(), stage, split, model, s.path("task").asText(), s.path("metric").asText(),
                            s.path("score").asDouble(), s.path("n").asInt(), s.path("lo").asDouble(), s.path("hi").asDouble(),
                            m.path("eval_run").asLong()));
                }
                continue;
            }
            // A stage's figure: its averaged model's when it had several runs, else its single run's.
            String key = r.stage().equals("sample") && !r.name().equals("train") && !r.name().equals("teacher")
                    ? "sample:" + r.name() : r.stage();
            Map<String, ObjectNode> round = t.stageMetrics.computeIfAbsent(r.round(), k -> new LinkedHashMap<>());
            if (!round.containsKey(key) || r.name().equals("average") || r.name().equals("train") || r.name().equals("teacher")) {
                round.put(key, m);
            }
        }
        for (RoundRow r : tables.rounds()) {
            if (r.best() != null) {
                t.best.put(r.round(), r.best());
            }
            JsonNode m = Ledger.object(r.metrics());
            if (m.has("rs_rows")) {
                t.rsRows.put(r.round(), m.get("rs_rows").asLong());
            }
        }
        t.gains.addAll(t.computeGains(store));
        return t;
    }

    public List<Score> scores() {
        return scores;
    }

    /** The split reported scores are on: test, or "all" for a store written before the dev/test split. */
    private String reportSplit() {
        return scores.stream().anyMatch(s -> s.split().equals(TEST)) ? TEST : "all";
    }

    private boolean reported(Score s) {
        return s.split().equals(reportSplit());
    }

    public List<Gain> gains() {
        return gains;
    }

    public Map<Integer, Map<String, ObjectNode>> stageMetrics() {
        return stageMetrics;
    }

    /** The primary task: the first one evaluated. */
    String primaryTask() {
        return scores.isEmpty() ? null : scores.get(0).task();
    }

    /** The reported (test) score of the candidate that won {@code round} on the primary task and metric, or null. */
    Score winner(int round) {
        String model = best.get(round);
        return model == null ? null : reportedScore(round, null, model);
    }

    /** The reported score of a round's candidate (by stage, or by model when stage is null) on the primary task's first metric. */
    private Score reportedScore(int round, String stage, String model) {
        String task = primaryTask();
        for (Score s : scores) {
            if (s.round() == round && reported(s) && s.task().equals(task) && (stage == null || s.stage().equals(stage))
                    && (model == null || s.model().equals(model)) && s.metric().equals(firstMetric(round, s.stage()))) {
                return s;
            }
        }
        return null;
    }

    private String firstMetric(int round, String stage) {
        for (Score s : scores) {
            if (s.round() == round && s.stage().equals(stage) && s.task().equals(primaryTask())) {
                return s.metric();
            }
        }
        return null;
    }

    private List<Gain> computeGains(Store store) {
        List<Gain> out = new ArrayList<>();
        Score zero = winner(0);
        if (zero == null) {
            return out;
        }
        EvalResults results = new EvalResults(store);
        Map<String, Double> a = results.items(zero.evalRun(), zero.task(), zero.metric());
        for (int r : best.keySet()) {
            Score w = winner(r);
            if (r == 0 || w == null) {
                continue;
            }
            Map<String, Double> b = results.items(w.evalRun(), w.task(), w.metric());
            List<String> ids = a.keySet().stream().filter(b::containsKey).toList();
            double[] x = ids.stream().mapToDouble(a::get).toArray();
            double[] y = ids.stream().mapToDouble(b::get).toArray();
            if (ids.isEmpty()) {
                continue;
            }
            Confidence.Comparison c = Confidence.paired(x, y, 10000, r);
            out.add(new Gain(r, w.stage(), c.diff(), c.low(), c.high(), c.n()));
        }
        return out;
    }

    /**
     * {@code {"rounds": [{round, stage, split, task, metric, score, n, ci95, model, best}], "gains": [{round, stage,
     * split, diff, n, ci95}], "mechanisms": [{round, rm_pairwise_accuracy, k, pass@1, pass@k, rs_rows, sft_test,
     * dpo_test, best}]}}.
     */
    public ObjectNode toJson() {
        ObjectNode root = Ledger.JSON.createObjectNode();
        ArrayNode rows = root.putArray("rounds");
        for (Score s : scores) {
            ObjectNode o = rows.addObject();
            o.put("round", s.round()).put("stage", s.stage()).put("split", s.split()).put("task", s.task()).put("metric", s.metric())
                    .put("score", s.score()).put("n", s.n());
            o.putArray("ci95").add(s.low()).add(s.high());
            o.put("model", s.model()).put("best", s.model().equals(best.get(s.round())));
        }
        ArrayNode g = root.putArray("gains");
        for (Gain x : gains) {
            ObjectNode o = g.addObject().put("round", x.round()).put("stage", x.stage()).put("split", reportSplit())
                    .put("diff", x.diff()).put("n", x.n());
            o.putArray("ci95").add(x.low()).add(x.high());
        }
        ArrayNode mech = root.putArray("mechanisms");
        for (int r : rounds()) {
            Map<String, ObjectNode> m = stageMetrics.getOrDefault(r, Map.of());
            ObjectNode o = mech.addObject().put("round", r);
            copy(m.get("rm"), "eval_pairwise_accuracy", o, "rm_pairwise_accuracy");
            ObjectNode sample = m.get("sample");
            copy(sample, "k", o, "k");
            copy(sample, "pass@1", o, "pass@1");
            copy(sample, "pass@k", o, "pass@k");
            if (rsRows.containsKey(r)) {
                o.put("rs_rows", rsRows.get(r));
            }
            for (String stage : List.of("sft", "dpo")) {
                Score sc = reportedScore(r, stage, null);
                if (sc != null) {
                    o.put(stage + "_" + sc.split(), sc.score());
                }
            }
            Score w = winner(r);
            if (w != null) {
                o.put("best", w.stage()).put("best_" + w.split(), w.score());
            }
        }
        return root;
    }

    private static void copy(ObjectNode from, String key, ObjectNode to, String as) {
        if (from != null && from.has(key)) {
            to.set(as, from.get(key));
        }
    }

    public static void print(Store store, PrintStream out) {
        read(store).print(out);
    }

    public void print(PrintStream out) {
        if (scores.isEmpty()) {
            out.println("no evaluated rounds yet");
            return;
        }
        String task = primaryTask();
        String split = reportSplit();
        out.printf("score: %s, %s split%s%n", task, split, split.equals(TEST) ? " (candidates were chosen on the dev split)" : "");
        out.printf("%-5s  %-7s  %-15s  %-7s  %-8s  %-7s  %-24s  %-24s  %s%n", "round", "RM acc", "pass@1/pass@K",
                "RS rows", "SFT loss", "DPO acc", "SFT " + split + " (95% CI)", "DPO " + split + " (95% CI)", "best");
        for (int r : rounds()) {
            Map<String, ObjectNode> m = stageMetrics.getOrDefault(r, Map.of());
            ObjectNode sm = m.get("sample");
            String pass = sm != null && sm.has("pass@1")
                    ? String.format("%.3f/%.3f K=%d", sm.get("pass@1").asDouble(), sm.get("pass@k").asDouble(), sm.get("k").asInt()) : "-";
            Score w = winner(r);
            out.printf("%-5d  %-7s  %-15s  %-7s  %-8s  %-7s  %-24s  %-24s  %s%n", r,
                    num(m.get("rm"), "eval_pairwise_accuracy", "%.3f"), pass,
                    rsRows.containsKey(r) ? String.valueOf(rsRows.get(r)) : "-",
                    num(m.get("sft"), "eval_loss", "%.3f"), num(m.get("dpo"), "eval_reward_accuracy", "%.3f"),
                    cell(r, r == 0 ? null : "sft"), cell(r, "dpo"), w == null ? "-" : w.stage());
        }
        for (Score s : scores) {
            if (s.task().equals(task) && reported(s) && !s.stage().equals("sft") && !s.stage().equals("dpo") && s.round() == 0
                    && !s.stage().equals(scores.get(0).stage()) && s.metric().equals(firstMetric(0, s.stage()))) {
                out.printf("round 0 %s (%s): %.3f [%.3f, %.3f]%n", s.stage(), s.model(), s.score(), s.low(), s.high());
                Score last = winner(rounds().get(rounds().size() - 1));
                if (s.stage().equals("teacher") && last != null && last.round() > 0 && s.score() > 0) {
                    out.printf("the student's best (%s, %.3f) reaches %.0f%% of the teacher's score%n", last.stage(), last.score(),
                            100 * last.score() / s.score());
                }
            }
        }
        Score zero = winner(0);
        if (zero != null && !gains.isEmpty()) {
            out.printf("%nEach round's best against round 0 (%s %.3f), same %d %s items, paired bootstrap 95%% CI:%n",
                    zero.stage(), zero.score(), zero.n(), split);
            for (Gain g : gains) {
                String verdict = g.low() > 0 ? "improved" : g.high() < 0 ? "worse" : "no significant change";
                out.printf("  round %d (%s): %+.3f [%+.3f, %+.3f]  %s%n", g.round(), g.stage(), g.diff(), g.low(), g.high(), verdict);
            }
        }
    }

    private List<Integer> rounds() {
        List<Integer> out = new ArrayList<>();
        for (Score s : scores) {
            if (!out.contains(s.round())) {
                out.add(s.round());
            }
        }
        out.sort(null);
        return out;
    }

    /** The reported score of {@code stage} in {@code round} (round 0: its only candidate when stage is null). */
    private String cell(int round, String stage) {
        Score s = reportedScore(round, stage, null);
        return s == null ? "-" : String.format("%.3f [%.3f, %.3f]", s.score(), s.low(), s.high());
    }

    private static String num(ObjectNode m, String key, String fmt) {
        return m == null || !m.has(key) ? "-" : String.format(fmt, m.get(key).asDouble());
    }

    /** "task metric 0.123 [0.1, 0.2] (n)" for each score of an eval step's metrics. */
    static String describe(ObjectNode metrics) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode s : metrics.path("scores")) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(String.format("%s %s %.3f [%.3f, %.3f] (n=%d)", shorten(s.path("task").asText()), s.path("metric").asText(),
                    s.path("score").asDouble(), s.path("lo").asDouble(), s.path("hi").asDouble(), s.path("n").asInt()));
        }
        return sb.toString();
    }

    private static String shorten(String task) {
        int slash = task.lastIndexOf('/');
        return task.startsWith("custom:") && slash > 0 ? "custom:" + task.substring(slash + 1) : task;
    }

    static String duration(double secs) {
        return secs < 60 ? String.format("%.1f s", secs) : String.format("%d min %02d s", (long) secs / 60, (long) secs % 60);
    }
}
