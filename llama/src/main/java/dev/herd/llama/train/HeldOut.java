package dev.herd.llama.train;

import dev.herd.common.DataOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Every trainer's held-out split: the items marked for evaluation (split test/validation) when any is, else a
 * seeded share of them, so the same seed always holds out the same items.
 */
public final class HeldOut {

    /** The train and held-out parts, in that order. */
    public record Split<T>(List<T> train, List<T> eval) {}

    private HeldOut() {}

    /** Whether a row's split column sets it aside for evaluation. */
    public static boolean marked(String split) {
        return "test".equals(split) || "validation".equals(split);
    }

    public static <T> Split<T> split(List<T> items, Predicate<T> marked, double fraction, long seed) {
        List<T> train = new ArrayList<>();
        List<T> eval = new ArrayList<>();
        boolean explicit = items.stream().anyMatch(marked);
        int[] order = DataOrder.permutation(items.size(), seed, -1);
        int held = explicit ? 0 : (int) Math.round(items.size() * fraction);
        for (int i = 0; i < order.length; i++) {
            T item = items.get(order[i]);
            ((explicit ? marked.test(item) : i < held) ? eval : train).add(item);
        }
        return new Split<>(train, eval);
    }
}
