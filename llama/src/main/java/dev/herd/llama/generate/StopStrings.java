package dev.herd.llama.generate;

import java.util.List;

/** Stop strings applied to generated text: a local engine, a served model and an eval all end a sample the same way. */
public final class StopStrings {

    private StopStrings() {}

    /** {@code text} up to the earliest occurrence of any stop string (the stop itself left out). */
    public static String cut(String text, List<String> stops) {
        int end = text.length();
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        return text.substring(0, end);
    }
}
