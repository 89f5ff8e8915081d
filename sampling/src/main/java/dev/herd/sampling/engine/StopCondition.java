package dev.herd.sampling.engine;

import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Decides when a sample ends and what its text is: a stop token, a stop string, or the token budget. */
final class StopCondition {

    private final Set<Integer> stopIds;
    private final List<String> stopStrings;
    private final int maxNewTokens;
    private final Function<int[], String> decoder;

    /** @param decoder ids to text (special tokens dropped); needed only for stop strings and the text */
    public StopCondition(Set<Integer> stopIds, List<String> stopStrings, int maxNewTokens, Function<int[], String> decoder) {
        this.stopIds = stopIds;
        this.stopStrings = stopStrings;
        this.maxNewTokens = maxNewTokens;
        this.decoder = decoder;
    }

    /** The completion if {@code tokens} (everything generated so far) is finished, else null. */
    public Completion check(List<Integer> tokens) {
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        boolean stopToken = !tokens.isEmpty() && stopIds.contains(tokens.get(tokens.size() - 1));
        if (stopToken) {
            return new Completion(ids, text(ids, ids.length - 1), "stop");
        }
        if (!stopStrings.isEmpty()) {
            String text = text(ids, ids.length);
            int cut = -1;
            for (String s : stopStrings) {
                int at = text.indexOf(s);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                return new Completion(ids, text.substring(0, cut), "stop");
            }
        }
        if (ids.length >= maxNewTokens) {
            return new Completion(ids, text(ids, ids.length), "length");
        }
        return null;
    }

    private String text(int[] ids, int n) {
        return decoder == null ? "" : decoder.apply(java.util.Arrays.copyOf(ids, n));
    }
}
