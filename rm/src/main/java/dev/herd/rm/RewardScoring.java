package dev.herd.rm;

import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores (prompt, response) pairs with a reward model: responses to the same prompt share one packed row, so
 * the K samples of a rejection-sampling prompt cost one prompt prefill. Used by {@code herd rm score} and by
 * {@code herd sample --reward rm:DIR}.
 */
public final class RewardScoring implements AutoCloseable {

    private final RewardModel model;
    private final LlamaTokenizer tok;
    private final RankingEncoder encoder;
    private final int batchSize;

    public RewardScoring(Path dir, String device, int batchSize) {
        this.model = RewardModel.load(dir, dev.herd.llama.Devices.parse(device));
        this.tok = LlamaTokenizer.load(dir);
        this.encoder = new RankingEncoder(ChatEncoder.of(tok), Integer.MAX_VALUE, RankingEncoder.Pairs.ALL, false, java.util.Set.of());
        this.batchSize = batchSize;
    }

    /** One reward per (prompt, response). */
    public double[] score(List<List<ChatMessage>> prompts, List<String> responses) {
        ChatEncoder chat = ChatEncoder.of(tok);
        // Group by prompt, keeping each item's place.
        Map<List<ChatMessage>, List<Integer>> byPrompt = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            byPrompt.computeIfAbsent(prompts.get(i), k -> new ArrayList<>()).add(i);
        }
        List<EncodedRanking> rows = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        for (Map.Entry<List<ChatMessage>, List<Integer>> e : byPrompt.entrySet()) {
            int[] prompt = chat.encode(e.getKey(), true).ids();
            List<int[]> rs = new ArrayList<>();
            for (int i : e.getValue()) {
                rs.add(encoder.response(e.getKey(), prompt, responses.get(i)));
                order.add(i);
            }
            rows.add(new EncodedRanking(prompt, rs, new double[0], null));
        }
        float[] flat = model.score(rows, batchSize);
        double[] out = new double[responses.size()];
        for (int j = 0; j < flat.length; j++) {
            out[order.get(j)] = flat[j];
        }
        return out;
    }

    @Override
    public void close() {
        tok.close();
        model.close();
    }
}
