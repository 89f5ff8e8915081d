package dev.herd.sampling.server;

import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.Logprobs;
import dev.herd.sampling.engine.TokenLogprob;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** OpenAI's legacy log-probs for drawn tokens: their texts, log-probs, top alternatives, and where each starts. */
final class LegacyLogprobs {

    private LegacyLogprobs() {}

    /** {@code drawn}'s entries, the first starting at {@code offset} of the choice's text. */
    static Logprobs of(List<TokenLogprob> drawn, LlamaTokenizer tok, int offset) {
        List<String> tokens = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Map<String, Double>> top = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (TokenLogprob t : drawn) {
            String piece = tok.decode(new int[] {t.token()}, false);
            tokens.add(piece);
            values.add(t.logprob());
            top.add(alternatives(t, tok));
            offsets.add(offset);
            offset += piece.length();
        }
        return new Logprobs(tokens, values, top, offsets);
    }

    static Map<String, Double> alternatives(TokenLogprob t, LlamaTokenizer tok) {
        Map<String, Double> alt = new LinkedHashMap<>();
        for (int j = 0; j < t.topIds().length; j++) {
            alt.put(tok.decode(new int[] {t.topIds()[j]}, false), t.topLogprobs()[j]);
        }
        return alt;
    }
}
