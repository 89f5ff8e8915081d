package dev.herd.evals;

import dev.herd.common.HerdInputException;
import dev.herd.evals.ifeval.IfEvalPrompt;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IFEval as lm-evaluation-harness's {@code ifeval} task: each prompt is the user's turn (answered in the model's
 * chat template), generated greedily up to 1,280 new tokens, and its verifiable instructions checked strictly and
 * loosely ({@link IfEvalPrompt}). Items are named by the rows' {@code key}. Four metrics: the share of prompts whose
 * every instruction is followed ({@code prompt_level_*}, N = prompts) and the share of instructions followed
 * ({@code inst_level_*}, N = instructions, pooled over prompts as lm-eval does).
 */
final class IfEval implements Task {

    static final String PROMPT_STRICT = "prompt_level_strict_acc";
    static final String INST_STRICT = "inst_level_strict_acc";
    static final String PROMPT_LOOSE = "prompt_level_loose_acc";
    static final String INST_LOOSE = "inst_level_loose_acc";

    private final List<EvalItem> items = new ArrayList<>();
    private final Map<String, IfEvalPrompt> checks = new HashMap<>();

    IfEval(Path file) {
        for (JsonLines.Line l : JsonLines.read(file)) {
            String where = file + ":" + l.number();
            if (!l.node().hasNonNull("key")) {
                throw new HerdInputException(where + ": missing field 'key'");
            }
            String key = l.node().get("key").asText();
            if (checks.put(key, IfEvalPrompt.of(where, l.node())) != null) {
                throw new HerdInputException(where + ": duplicate key " + key);
            }
            items.add(EvalItem.conversation(key, List.of(ChatMessage.user(JsonLines.text(file, l, "prompt"))), null, Map.of()));
        }
    }

    @Override
    public String name() {
        return "ifeval";
    }

    @Override
    public Type type() {
        return Type.GENERATION;
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }

    @Override
    public int maxNewTokens() {
        return 1280;
    }

    /**
     * Per prompt: 1/0 for the prompt-level metrics, and the share of its instructions followed for the
     * instruction-level ones (weighted by its instruction count in {@link #aggregate}).
     */
    @Override
    public Map<String, Double> scoreGeneration(EvalItem item, String response) {
        IfEvalPrompt p = checks.get(item.id());
        List<Boolean> strict = p.strict(response);
        List<Boolean> loose = p.loose(response);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(PROMPT_STRICT, strict.contains(false) ? 0.0 : 1.0);
        m.put(INST_STRICT, share(strict));
        m.put(PROMPT_LOOSE, loose.contains(false) ? 0.0 : 1.0);
        m.put(INST_LOOSE, share(loose));
        return m;
    }

    private static double share(List<Boolean> followed) {
        return (double) followed.stream().filter(b -> b).count() / followed.size();
    }

    /** Prompt-level: binomial over prompts; instruction-level: binomial over all instructions of those prompts. */
    @Override
    public Map<String, Confidence.Interval> aggregate(List<TaskResult.ItemOutcome> outcomes, int bootstrap, long seed) {
        int prompts = outcomes.size();
        int instructions = 0;
        double[] followed = new double[4];
        String[] names = {PROMPT_STRICT, INST_STRICT, PROMPT_LOOSE, INST_LOOSE};
        for (TaskResult.ItemOutcome o : outcomes) {
            int k = checks.get(o.id()).ids().size();
            instructions += k;
            for (int i = 0; i < names.length; i++) {
                double v = o.values().get(names[i]);
                followed[i] += i % 2 == 0 ? v : Math.round(v * k);
            }
        }
        Map<String, Confidence.Interval> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            int n = i % 2 == 0 ? prompts : instructions;
            out.put(names[i], Confidence.binomial(followed[i] / n, n));
        }
        return out;
    }
}
