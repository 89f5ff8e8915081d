package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import dev.herd.common.DataOrder;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Balances the SFT mix by tag weights: of {@code total} rows, a share {@code weight / Σweights} per tag value,
 * drawn with a seed; a tag with fewer rows gives all it has. Rows of tags without a weight are dropped.
 *
 * @param by "topic", "difficulty", "source" or "origin"
 */
record MixBalancer(String by, Map<String, Double> weights, long total, long seed) implements CurationStep {

    public MixBalancer {
        if (!List.of("topic", "difficulty", "source", "origin").contains(by)) {
            throw new IllegalArgumentException("mix \"by\" must be topic, difficulty, source or origin, got '" + by + "'");
        }
        if (weights.values().stream().anyMatch(w -> !(w >= 0)) || weights.values().stream().mapToDouble(Double::doubleValue).sum() <= 0) {
            throw new IllegalArgumentException("mix \"weights\" must be non-negative with a positive sum");
        }
        if (total < 0) {
            throw new IllegalArgumentException("mix \"total\" must not be negative");
        }
    }

    @Override
    public String name() {
        return "mix";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) throws Exception {
        Map<String, List<Long>> byTag = new LinkedHashMap<>();
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT id, " + by + " FROM sft WHERE removed_by IS NULL" + CurationStep.and(where) + " ORDER BY id")) {
            while (rs.next()) {
                byTag.computeIfAbsent(String.valueOf(rs.getString(2)), k -> new ArrayList<>()).add(rs.getLong(1));
            }
        }
        double sum = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        Map<Long, String> removed = new HashMap<>();
        Map<String, Long> report = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : byTag.entrySet()) {
            List<Long> ids = e.getValue();
            Double w = weights.get(e.getKey());
            long want = w == null ? 0 : Math.round(total * w / sum);
            int[] order = DataOrder.permutation(ids.size(), seed, e.getKey().hashCode());
            for (int i = (int) Math.min(want, ids.size()); i < ids.size(); i++) {
                removed.put(ids.get(order[i]), "mix");
            }
            report.put("kept:" + e.getKey(), Math.min(want, ids.size()));
        }
        report.put("removed", ActiveRows.remove(store, "sft", removed));
        return report;
    }
}
