package dev.herd.dpo;

import dev.herd.datasets.Preference;
import dev.herd.datasets.Strength;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns rankings (edited &gt; chosen &gt; rejected) into the pairs DPO trains on, as Llama 3 does: every ordered
 * pair of the selected kinds, from rankings whose strength is one of those kept. Rankings without a strength are
 * kept (most public preference sets carry none); pairs with identical responses are skipped, having nothing to
 * learn.
 */
public final class RankedPairs {

    private RankedPairs() {}

    public static List<PreferencePair> expand(List<Preference> rankings, Set<PairKind> kinds, Set<Strength> strengths) {
        List<PreferencePair> out = new ArrayList<>();
        for (Preference p : rankings) {
            if (p.strength() != null && !strengths.contains(p.strength())) {
                continue;
            }
            if (p.edited() != null && kinds.contains(PairKind.EDITED_CHOSEN)) {
                add(out, p, p.edited(), p.chosen(), PairKind.EDITED_CHOSEN);
            }
            if (p.edited() != null && kinds.contains(PairKind.EDITED_REJECTED)) {
                add(out, p, p.edited(), p.rejected(), PairKind.EDITED_REJECTED);
            }
            if (kinds.contains(PairKind.CHOSEN_REJECTED)) {
                add(out, p, p.chosen(), p.rejected(), PairKind.CHOSEN_REJECTED);
            }
        }
        return out;
    }

    private static void add(List<PreferencePair> out, Preference p, String better, String worse, PairKind kind) {
        if (!better.equals(worse)) {
            out.add(new PreferencePair(p.id(), p.prompt(), better, worse, kind, p.split()));
        }
    }
}
