package dev.herd.datasets.curate;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * MinHash signatures over word n-gram shingles: the fraction of equal signature entries estimates the Jaccard
 * similarity of two documents' shingle sets. Each of the {@code k} hash functions is a seeded 64-bit mix of the
 * shingle hash, so signatures are reproducible for a given seed.
 */
public final class MinHash {

    private final int k;
    private final int shingle;
    private final long[] seeds;

    /**
     * @param k       signature length (number of hash functions)
     * @param shingle words per shingle
     */
    public MinHash(int k, int shingle, long seed) {
        this.k = k;
        this.shingle = shingle;
        this.seeds = new long[k];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < k; i++) {
            seeds[i] = r.nextLong();
        }
    }

    public int size() {
        return k;
    }

    /** Hashes of the word n-grams of the normalised text (a short text is one shingle). */
    public Set<Long> shingles(String text) {
        String[] words = TextNormalizer.normalize(text).split(" ");
        Set<Long> out = new HashSet<>();
        if (words.length <= shingle) {
            out.add(Hashing.hash64(String.join(" ", words)));
            return out;
        }
        for (int i = 0; i + shingle <= words.length; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < shingle; j++) {
                if (j > 0) {
                    sb.append(' ');
                }
                sb.append(words[i + j]);
            }
            out.add(Hashing.hash64(sb.toString()));
        }
        return out;
    }

    public long[] signature(String text) {
        long[] sig = new long[k];
        Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : shingles(text)) {
            for (int i = 0; i < k; i++) {
                long h = Hashing.mix(s ^ seeds[i]);
                if (Long.compareUnsigned(h, sig[i]) < 0) {
                    sig[i] = h;
                }
            }
        }
        return sig;
    }

    /** Estimated Jaccard similarity: the share of equal entries. */
    public static double similarity(long[] a, long[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return (double) same / a.length;
    }

    /** Exact Jaccard similarity of two shingle sets (for checks). */
    public static double jaccard(Set<Long> a, Set<Long> b) {
        Set<Long> inter = new HashSet<>(a);
        inter.retainAll(b);
        int union = a.size() + b.size() - inter.size();
        return union == 0 ? 1.0 : (double) inter.size() / union;
    }
}
