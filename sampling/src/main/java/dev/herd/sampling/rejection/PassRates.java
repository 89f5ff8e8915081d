package dev.herd.sampling.rejection;

import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Verifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How often a round's sampling policy was right on that round's prompts, by each prompt's own verifier (IFEval
 * prompts, whose checker lives in evals, are left out: {@code herd sample --reward verify:ifeval} scores them): pass@1
 * (the mean share of right samples per prompt, the unbiased estimate from K samples) and pass@K (the share of
 * prompts with at least one right sample). Rejection sampling can only teach the policy something where pass@K
 * is above pass@1: that gap is what the round's verified rows add.
 *
 * @param k       samples per prompt (the most any prompt had)
 * @param prompts prompts with a reference answer
 * @param pass1   mean over prompts of right / samples
 * @param passK   share of prompts with a right sample
 */
public record PassRates(int k, int prompts, double pass1, double passK) {

    /** The rates of {@code model}'s samples in {@code round}, or null when none of their prompts has an answer. */
    public static PassRates of(Store store, int round, String model) {
        List<List<Object>> rows = new Tables(store).rows("SELECT s.prompt_id, s.response, p.answer, p.verifier FROM samples s "
                + "JOIN prompts p ON p.id = s.prompt_id WHERE p.answer IS NOT NULL AND coalesce(lower(trim(p.verifier)), '') "
                + "<> 'ifeval' AND s.round = ? AND s.model = ? "
                + "ORDER BY s.prompt_id, s.id", round, model);
        if (rows.isEmpty()) {
            return null;
        }
        List<SamplingPrompt> prompts = new ArrayList<>();
        List<String> responses = new ArrayList<>();
        for (List<Object> r : rows) {
            long id = ((Number) r.get(0)).longValue();
            prompts.add(new SamplingPrompt(String.valueOf(id), null, null, (String) r.get(2), null, id, (String) r.get(3)));
            responses.add((String) r.get(1));
        }
        double[] right;
        try (Verifier v = new Verifier(Verifier.Kind.AUTO)) {
            right = v.score(prompts, responses);
        }
        Map<Long, int[]> byPrompt = new LinkedHashMap<>();   // prompt -> {right, samples}
        for (int i = 0; i < right.length; i++) {
            int[] c = byPrompt.computeIfAbsent(prompts.get(i).storeId(), x -> new int[2]);
            c[0] += right[i] > 0.5 ? 1 : 0;
            c[1]++;
        }
        double pass1 = 0;
        int any = 0;
        int k = 0;
        for (int[] c : byPrompt.values()) {
            pass1 += (double) c[0] / c[1];
            any += c[0] > 0 ? 1 : 0;
            k = Math.max(k, c[1]);
        }
        return new PassRates(k, byPrompt.size(), pass1 / byPrompt.size(), (double) any / byPrompt.size());
    }
}
