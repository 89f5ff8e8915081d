package dev.herd.evals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * One side of a fixed dev/test split of a task's items, so that a loop can choose between candidates on
 * {@code dev} and report on {@code test} items no choice ever looked at. An item is on the dev side when the
 * first 8 bytes of SHA-256("herd-dev-test:" + item id), as an unsigned fraction of 2^64, fall below
 * {@code devFraction}. The split depends only on the item's id — not on a run's seed, the model, the item order
 * or where the file lies — so every run over the same data has the same test items.
 */
public final class SplitTask implements Task {

    public enum Split { DEV, TEST;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Task task;
    private final Split split;
    private final List<EvalItem> items;

    private SplitTask(Task task, Split split, double devFraction) {
        if (!(devFraction > 0 && devFraction < 1)) {
            throw new IllegalArgumentException("dev fraction must be in (0, 1), got " + devFraction);
        }
        this.task = task;
        this.split = split;
        this.items = task.items().stream().filter(i -> isDev(i.id(), devFraction) == (split == Split.DEV)).toList();
    }

    /** The {@code split} side of {@code task}, with {@code devFraction} of its items (in expectation) on the dev side. */
    public static SplitTask of(Task task, Split split, double devFraction) {
        return new SplitTask(task, split, devFraction);
    }

    /** Whether the item with this id is a dev item. */
    public static boolean isDev(String id, double devFraction) {
        return fraction(id) < devFraction;
    }

    static double fraction(String id) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("herd-dev-test:" + id).getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            // Unsigned 64-bit value / 2^64: the top 53 bits give a double in [0, 1).
            return (v >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Split split() {
        return split;
    }

    @Override
    public String name() {
        return task.name();
    }

    @Override
    public Type type() {
        return task.type();
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }

    @Override
    public List<String> stopSequences() {
        return task.stopSequences();
    }

    @Override
    public int maxNewTokens() {
        return task.maxNewTokens();
    }

    @Override
    public Map<String, Double> scoreGeneration(EvalItem item, String response) {
        return task.scoreGeneration(item, response);
    }

    @Override
    public Map<String, Confidence.Interval> aggregate(List<TaskResult.ItemOutcome> outcomes, int bootstrap, long seed) {
        return task.aggregate(outcomes, bootstrap, seed);
    }
}
