package dev.herd.dpo;

import dev.herd.common.HerdInputException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Which (better, worse) pairs a ranking edited &gt; chosen &gt; rejected yields. */
public enum PairKind {
    EDITED_CHOSEN("edited>chosen"),
    EDITED_REJECTED("edited>rejected"),
    CHOSEN_REJECTED("chosen>rejected");

    public final String label;

    PairKind(String label) {
        this.label = label;
    }

    /** All three: a ranking of three responses gives every ordered pair. */
    public static Set<PairKind> all() {
        return EnumSet.allOf(PairKind.class);
    }

    /** Parses "edited>chosen" (also "edited_chosen", "edited-chosen"). */
    public static PairKind parse(String s, String where) {
        String norm = s.trim().toLowerCase(Locale.ROOT).replace('_', '>').replace('-', '>').replace(" ", "");
        for (PairKind k : values()) {
            if (k.label.equals(norm)) {
                return k;
            }
        }
        throw new HerdInputException(where + ": pair kind '" + s + "' is not one of edited>chosen, edited>rejected, chosen>rejected");
    }
}
