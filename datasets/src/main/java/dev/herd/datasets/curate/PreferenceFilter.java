package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import dev.herd.datasets.Strength;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Preference rows for DPO and reward modelling: keeps the strengths given (Llama 3 keeps "significantly
 * better" and "better"), and drops pairs whose two responses are near-identical (MinHash Jaccard at or above
 * {@code identicalThreshold}, or equal after normalisation) since they teach nothing.
 *
 * @param keep           strength labels to keep; ungraded rows are kept when {@code keepUngraded}
 */
record PreferenceFilter(List<String> keep, boolean keepUngraded, double identicalThreshold)
        implements CurationStep {

    public PreferenceFilter {
        List<String> labels = new java.util.ArrayList<>();
        for (String k : keep) {
            Strength st = Strength.parse(k);
            if (st == null) {
                throw new IllegalArgumentException("preferences \"keep\": '" + k
                        + "' is not one of: significantly better, better, slightly better, marginally better");
            }
            labels.add(st.label);
        }
        keep = List.copyOf(labels);
        if (!(identicalThreshold > 0 && identicalThreshold <= 1)) {
            throw new IllegalArgumentException("preferences \"identical-threshold\" must be in (0, 1], got " + identicalThreshold);
        }
    }

    @Override
    public String name() {
        return "preferences";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) throws Exception {
        Set<String> kept = new HashSet<>(keep);
        MinHash mh = new MinHash(128, 3, 0);
        Map<Long, String> removed = new LinkedHashMap<>();
        long weak = 0;
        long identical = 0;
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT id, strength, chosen, rejected FROM preferences WHERE removed_by IS NULL"
                     + CurationStep.and(where))) {
            while (rs.next()) {
                String strength = rs.getString(2);
                if (strength == null ? !keepUngraded : !kept.contains(strength)) {
                    removed.put(rs.getLong(1), "strength");
                    weak++;
                    continue;
                }
                String a = rs.getString(3);
                String b = rs.getString(4);
                if (TextNormalizer.normalize(a).equals(TextNormalizer.normalize(b))
                        || MinHash.similarity(mh.signature(a), mh.signature(b)) >= identicalThreshold) {
                    removed.put(rs.getLong(1), "near-identical");
                    identical++;
                }
            }
        }
        ActiveRows.remove(store, "preferences", removed);
        Map<String, Long> report = new LinkedHashMap<>();
        report.put("weak-strength", weak);
        report.put("near-identical", identical);
        report.put("removed", (long) removed.size());
        return report;
    }
}
