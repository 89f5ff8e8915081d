package dev.herd.datasets;

import java.util.Locale;

/** How much better the preferred response is, as Llama 3's annotators graded it. */
public enum Strength {
    SIGNIFICANTLY_BETTER("significantly better"),
    BETTER("better"),
    SLIGHTLY_BETTER("slightly better"),
    MARGINALLY_BETTER("marginally better");

    public final String label;

    Strength(String label) {
        this.label = label;
    }

    /** Parses a label ("significantly better", "significantly_better", ...); null when unknown. */
    public static Strength parse(String s) {
        if (s == null) {
            return null;
        }
        String norm = s.trim().toLowerCase(Locale.ROOT).replace('_', ' ').replace('-', ' ');
        for (Strength v : values()) {
            if (v.label.equals(norm)) {
                return v;
            }
        }
        return null;
    }
}
