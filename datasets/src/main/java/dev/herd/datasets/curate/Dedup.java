package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact and near-duplicate removal of SFT rows (or prompts), keeping the best-scored member of each cluster
 * (then the oldest). Exact: equal normalised text. Near: MinHash over word n-grams with LSH banding, Jaccard
 * threshold configurable.
 *
 * @param table     "sft" or "prompts" (prompts have no score: the oldest stays)
 * @param field     for SFT, what is compared: "response" (the last assistant turn) or "conversation"
 * @param near      also remove near duplicates
 * @param threshold Jaccard similarity at or above which two rows are near duplicates
 */
public record Dedup(String table, String field, boolean near, double threshold, int shingle, int permutations, long seed)
        implements CurationStep {

    public Dedup {
        if (!table.equals("sft") && !table.equals("prompts")) {
            throw new IllegalArgumentException("dedup \"table\" must be sft or prompts, got '" + table + "'");
        }
        if (!field.equals("response") && !field.equals("conversation")) {
            throw new IllegalArgumentException("dedup \"field\" must be response or conversation, got '" + field + "'");
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("dedup \"threshold\" must be in (0, 1], got " + threshold);
        }
        if (shingle < 1 || permutations < 1) {
            throw new IllegalArgumentException("dedup \"shingle\" and \"permutations\" must be positive");
        }
    }

    /** Dedup of SFT rows. */
    public Dedup(String field, boolean near, double threshold, int shingle, int permutations, long seed) {
        this("sft", field, near, threshold, shingle, permutations, seed);
    }

    @Override
    public String name() {
        return "dedup";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) throws Exception {
        List<ActiveRows.Text> rows = table.equals("prompts") ? ActiveRows.prompts(store, where)
                : ActiveRows.sft(store, where).stream().map(r -> new ActiveRows.Text(r.id(),
                        field.equals("conversation") ? r.conversation() : r.response(), r.score())).toList();
        Map<Long, String> removed = new LinkedHashMap<>();
        // Exact: group by normalised hash.
        Map<Long, List<Integer>> exact = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            exact.computeIfAbsent(TextNormalizer.hash(rows.get(i).text()), k -> new ArrayList<>()).add(i);
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
                sigs.add(mh.signature(rows.get(i).text()));
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
        ActiveRows.remove(store, table, removed);
        Map<String, Long> report = new LinkedHashMap<>();
        report.put("exact", exactCount);
        report.put("near", nearCount);
        return report;
    }

    /** Highest score first (unscored last), then lowest id. */
    private static int best(List<ActiveRows.Text> rows, List<Integer> group) {
        return group.stream().min(Comparator
                .<Integer>comparingDouble(i -> rows.get(i).score() == null ? Double.POSITIVE_INFINITY : -rows.get(i).score())
                .thenComparingLong(i -> rows.get(i).id())).orElseThrow();
    }
}
