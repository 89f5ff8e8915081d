package dev.herd.sampling.server;

import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.util.List;
import java.util.Set;

/** How much of a sample's text a stream may send while the sample is still being generated. */
final class StreamText {

    private final LlamaTokenizer tok;

    StreamText(LlamaTokenizer tok) {
        this.tok = tok;
    }

    /**
     * The text generated so far that is safe to send: without a final stop token, and holding back an
     * unfinished character or a tail that could still become a stop string.
     */
    String safePrefix(List<Integer> tokens, Set<Integer> stopIds, List<String> stop) {
        int n = tokens.size();
        if (n > 0 && stopIds.contains(tokens.get(n - 1))) {
            n--;
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = tokens.get(i);
        }
        String text = tok.decode(ids, true);
        int cut = text.length();
        while (cut > 0 && text.charAt(cut - 1) == '\uFFFD') {
            cut--;                                    // a multi-byte character still being spelled out
        }
        for (String s : stop) {
            int at = text.indexOf(s);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
            for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    cut = Math.min(cut, text.length() - k);
                    break;
                }
            }
        }
        return text.substring(0, cut);
    }
}
