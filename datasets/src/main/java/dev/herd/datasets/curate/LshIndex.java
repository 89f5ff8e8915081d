package dev.herd.datasets.curate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Locality-sensitive hashing over MinHash signatures: the signature is cut into {@code bands} bands of
 * {@code rows} entries; documents sharing any band's bucket are candidates, and candidates whose estimated
 * similarity reaches the threshold are joined into clusters (union–find). Bands and rows are chosen so the
 * S-curve's midpoint (1/b)^(1/r) sits just below the threshold: few true pairs are missed, and the
 * similarity check removes the false candidates.
 */
public final class LshIndex {

    private final int bands;
    private final int rows;
    private final double threshold;

    public LshIndex(int signatureSize, double threshold) {
        this.threshold = threshold;
        int bestB = 1;
        double bestGap = Double.MAX_VALUE;
        for (int b = 1; b <= signatureSize; b++) {
            if (signatureSize % b != 0) {
                continue;
            }
            int r = signatureSize / b;
            double mid = Math.pow(1.0 / b, 1.0 / r);
            double gap = threshold - mid;          // want the midpoint a little below the threshold
            if (gap >= 0.05 && gap < bestGap) {
                bestGap = gap;
                bestB = b;
            }
        }
        if (bestGap == Double.MAX_VALUE) {
            bestB = signatureSize;                 // threshold very low: one entry per band
        }
        this.bands = bestB;
        this.rows = signatureSize / bestB;
    }

    public int bands() {
        return bands;
    }

    public int rows() {
        return rows;
    }

    /** Cluster id (a representative index) of every signature. */
    public int[] clusters(List<long[]> signatures) {
        int n = signatures.size();
        int[] parent = new int[n];
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int band = 0; band < bands; band++) {
            Map<Long, List<Integer>> buckets = new HashMap<>();
            for (int i = 0; i < n; i++) {
                long[] s = signatures.get(i);
                long h = band;
                for (int j = band * rows; j < (band + 1) * rows; j++) {
                    h = Hashing.mix(h * 31 + s[j]);
                }
                buckets.computeIfAbsent(h, x -> new ArrayList<>(2)).add(i);
            }
            for (List<Integer> bucket : buckets.values()) {
                if (bucket.size() < 2) {
                    continue;
                }
                int first = bucket.get(0);
                for (int m = 1; m < bucket.size(); m++) {
                    int other = bucket.get(m);
                    if (find(parent, first) != find(parent, other)
                            && MinHash.similarity(signatures.get(first), signatures.get(other)) >= threshold) {
                        union(parent, first, other);
                    } else if (find(parent, first) != find(parent, other)) {
                        // The bucket's first member may be dissimilar: compare with the rest pairwise.
                        for (int q = 1; q < m; q++) {
                            int o = bucket.get(q);
                            if (MinHash.similarity(signatures.get(o), signatures.get(other)) >= threshold) {
                                union(parent, o, other);
                                break;
                            }
                        }
                    }
                }
            }
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = find(parent, i);
        }
        return out;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }
}
