package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact and near-duplicate removal of SFT rows, keeping the best-scored member of each cluster (then the
 * oldest). Exact: equal normalised text. Near: MinHash over word n-grams with LSH banding, Jaccard threshold
 * configurable.
 *
 * @param field     what is compared: "response" (the last assistant turn) or "conversation"
 * @param near      also remove near duplicates
 * @param threshold Jaccard similarity at or above which two rows are near duplicates
 */
public record Dedup(String field, boolean near, double threshold, int shingle, int permutations, long seed)
        implements CurationStep {

    @Override
    public String name() {
        return "dedup";
    }

    @Override
    public Map<String, Long> apply(Store store) throws Exception {
        List<ActiveRows.SftRow> rows = ActiveRows.sft(store);
        List<String> texts = rows.stream().map(r -> field.equals("conversation") ? r.conversation() : r.response()).toList();
        Map<Long, String> removed = new LinkedHashMap<>();
        // Exact: group by normalised hash.
        Map<Long, List<Integer>> exact = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            exact.computeIfAbsent(TextNormalizer.hash(texts.get(i)), k -> new ArrayList<>()).add(i);
        }
        List<Integer> survivors = new ArrayList<>();
        for (List<Integer> group : exact.values()) {
            int keep = best(rows, group);
            survivors.add(keep);
            for (int i : group) {
                if (i != keep) {
                    removed.put(rows.get(i).id(), "dedup-exact");
                }
            }
        }
        long exactCount = removed.size();
        long nearCount = 0;
        if (near) {
            survivors.sort(Integer::compare);
            MinHash mh = new MinHash(permutations, shingle, seed);
            List<long[]> sigs = new ArrayList<>();
            for (int i : survivors) {
                sigs.add(mh.signature(texts.get(i)));
            }
            int[] cluster = new LshIndex(permutations, threshold).clusters(sigs);
            Map<Integer, List<Integer>> groups = new HashMap<>();
            for (int j = 0; j < survivors.size(); j++) {
                groups.computeIfAbsent(cluster[j], k -> new ArrayList<>()).add(survivors.get(j));
            }
            for (List<Integer> group : groups.values()) {
                int keep = best(rows, group);
                for (int i : group) {
                    if (i != keep) {
                        removed.put(rows.get(i).id(), "dedup-near");
                        nearCount++;
                    }
                }
            }
        }
        ActiveRows.remove(store, "sft", removed);
        Map<String, Long> report = new LinkedHashMap<>();
        report.put("exact", exactCount);
        report.put("near", nearCount);
        return report;
    }

    /** Highest score first (unscored last), then lowest id. */
    private static int best(List<ActiveRows.SftRow> rows, List<Integer> group) {
        return group.stream().min(Comparator
                .<Integer>comparingDouble(i -> rows.get(i).score() == null ? Double.POSITIVE_INFINITY : -rows.get(i).score())
                .thenComparingLong(i -> rows.get(i).id())).orElseThrow();
    }
}
