package dev.herd.datasets;

import dev.herd.common.HerdInputException;

/** What a dataset file holds, and the table it goes to. */
public enum Kind {
    SFT("sft"), PREFERENCE("preferences"), PROMPTS("prompts");

    public final String table;

    Kind(String table) {
        this.table = table;
    }

    public static Kind parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "sft" -> SFT;
            case "preference", "preferences" -> PREFERENCE;
            case "prompts", "prompt" -> PROMPTS;
            default -> throw new HerdInputException("--kind must be sft, preference or prompts, got " + s);
        };
    }
}
