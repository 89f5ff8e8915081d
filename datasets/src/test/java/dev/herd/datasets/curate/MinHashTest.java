package dev.herd.datasets.curate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MinHashTest {

    static String words(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("w").append(r.nextInt(5000)).append(' ');
        }
        return sb.toString();
    }

    @Test
    void signatureAgreementEstimatesExactJaccard() {
        MinHash mh = new MinHash(256, 3, 1);
        Random r = new Random(2);
        for (int t = 0; t < 20; t++) {
            String a = words(r, 200);
            // Replace a random share of words to get a range of similarities.
            String[] w = a.split(" ");
            int changes = r.nextInt(60);
            for (int i = 0; i < changes; i++) {
                w[r.nextInt(w.length)] = "x" + r.nextInt(100000);
            }
            String b = String.join(" ", w);
            Set<Long> sa = mh.shingles(a);
            Set<Long> sb = mh.shingles(b);
            double exact = MinHash.jaccard(sa, sb);
            double est = MinHash.similarity(mh.signature(a), mh.signature(b));
            // Standard error of the estimate is sqrt(J(1-J)/k) ≤ 0.031 for k = 256: allow 4 of them.
            assertEquals(exact, est, 0.125, "exact " + exact);
        }
    }

    @Test
    void lshClustersNearDuplicatesAndNothingElse() {
        Random r = new Random(3);
        MinHash mh = new MinHash(128, 3, 0);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            docs.add(words(r, 100));
        }
        // Doc 200 is doc 7 with two words changed (Jaccard ≈ 0.89); doc 201 is unrelated.
        String[] w = docs.get(7).split(" ");
        w[10] = "changed";
        w[60] = "also";
        docs.add(String.join(" ", w));
        docs.add(words(r, 100));
        List<long[]> sigs = docs.stream().map(mh::signature).toList();
        LshIndex lsh = new LshIndex(128, 0.8);
        assertEquals(128, lsh.bands() * lsh.rows());
        int[] c = lsh.clusters(sigs);
        assertEquals(c[7], c[200]);
        long clusters = java.util.Arrays.stream(c).distinct().count();
        assertEquals(201, clusters, "only the planted pair merges");
        assertNotEquals(c[7], c[201]);
    }

    @Test
    void normalisationMakesExactDuplicates() {
        assertEquals(TextNormalizer.hash("Hello,   World!"), TextNormalizer.hash("hello world"));
        assertNotEquals(TextNormalizer.hash("hello world"), TextNormalizer.hash("hello word"));
        assertTrue(TextNormalizer.normalize("Ünïcode — TEXT").startsWith("ünïcode"));
    }

    @Test
    void lshClustersAgreeWithBruteForceExactJaccard() {
        Random r = new Random(11);
        MinHash mh = new MinHash(128, 3, 4);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            docs.add(words(r, 300));
        }
        // 60 variants, one per base document, with 0 to 29 words replaced: exact Jaccard from 1 down to ~0.55.
        for (int i = 0; i < 60; i++) {
            String[] w = docs.get(i * 5).split(" ");
            int changes = i / 2;
            for (int c = 0; c < changes; c++) {
                w[r.nextInt(w.length)] = "v" + r.nextInt(1_000_000);
            }
            docs.add(String.join(" ", w));
        }
        int[] cluster = new LshIndex(128, 0.8).clusters(docs.stream().map(mh::signature).toList());
        List<Set<Long>> shingles = docs.stream().map(mh::shingles).toList();
        int mustJoin = 0;
        int mustNot = 0;
        for (int a = 0; a < docs.size(); a++) {
            for (int b = a + 1; b < docs.size(); b++) {
                double j = MinHash.jaccard(shingles.get(a), shingles.get(b));
                if (j >= 0.9) {
                    mustJoin++;
                    assertEquals(cluster[a], cluster[b], a + "~" + b + " Jaccard " + j);
                } else if (j < 0.65) {
                    mustNot++;
                    assertNotEquals(cluster[a], cluster[b], a + "~" + b + " Jaccard " + j);
                }
            }
        }
        assertTrue(mustJoin >= 8 && mustNot > 60_000, mustJoin + " / " + mustNot);
    }
}
