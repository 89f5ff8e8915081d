package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps SFT rows whose score is in the top part of their group — the responses to the same prompt, or the
 * same topic — or whose judge score passes; unscored rows (e.g. human data) are kept.
 *
 * @param group      "prompt" or "topic"
 * @param quantile   keep scores at or above this quantile of the group (0.75: the top quartile)
 * @param judge      scorer name in the scores table whose value can rescue a row, or null
 * @param judgeMin   the judge value that passes
 */
record QualityFilter(String group, double quantile, String judge, double judgeMin) implements CurationStep {

    public QualityFilter {
        if (!group.equals("prompt") && !group.equals("topic")) {
            throw new IllegalArgumentException("quality \"group\" must be prompt or topic, got '" + group + "'");
        }
        if (!(quantile >= 0 && quantile <= 1)) {
            throw new IllegalArgumentException("quality \"quantile\" must be in [0, 1], got " + quantile);
        }
    }

    @Override
    public String name() {
        return "quality";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) throws Exception {
        List<ActiveRows.SftRow> rows = ActiveRows.sft(store, where);
        Map<String, List<Double>> scores = new HashMap<>();
        for (ActiveRows.SftRow r : rows) {
            if (r.score() != null) {
                scores.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r.score());
            }
        }
        Map<String, Double> cut = new HashMap<>();
        scores.forEach((k, v) -> cut.put(k, quantile(v, quantile)));
        Map<Long, Double> judged = judge == null ? Map.of() : judgeScores(store);
        Map<Long, String> removed = new LinkedHashMap<>();
        long rescued = 0;
        for (ActiveRows.SftRow r : rows) {
            if (r.score() == null || r.score() >= cut.get(key(r))) {
                continue;
            }
            Double j = r.sampleId() == null ? null : judged.get(r.sampleId());
            if (j != null && j >= judgeMin) {
                rescued++;
                continue;
            }
            removed.put(r.id(), "quality");
        }
        ActiveRows.remove(store, "sft", removed);
        Map<String, Long> report = new LinkedHashMap<>();
        report.put("removed", (long) removed.size());
        report.put("kept-by-judge", rescued);
        report.put("groups", (long) cut.size());
        return report;
    }

    private String key(ActiveRows.SftRow r) {
        return group.equals("topic") ? String.valueOf(r.topic()) : r.promptKey();
    }

    private Map<Long, Double> judgeScores(Store store) throws Exception {
        Map<Long, Double> out = new HashMap<>();
        try (PreparedStatement ps = store.connection().prepareStatement(
                "SELECT sample_id, max(value) FROM scores WHERE scorer = ? GROUP BY sample_id")) {
            ps.setString(1, judge);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getDouble(2));
                }
            }
        }
        return out;
    }

    /** Linear-interpolated quantile, as numpy's default and DuckDB's quantile_cont. */
    static double quantile(List<Double> values, double q) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }
}
