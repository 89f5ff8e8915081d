package dev.herd.recipes;

import dev.herd.common.HerdInputException;
import dev.herd.datasets.InstructionSpec;
import dev.herd.evals.ifeval.IfEvalPrompt;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Scorer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code verify:ifeval}: 1 when a response follows every verifiable instruction of its prompt, judged strictly as
 * IFEval's {@code prompt_level_strict_acc} judges it (evals' checkers), else 0. The instructions are the prompt's
 * {@code instruction_id_list} and {@code kwargs}, as IFEval's layout gives them (a prompts file, or the store after
 * {@code herd data import --kind prompts}). Strict, not loose: a sample kept for training should follow the
 * instructions as written, not only once its first line or its asterisks are dropped.
 */
final class IfEvalScorer implements Scorer {

    private final Map<String, IfEvalPrompt> parsed = new HashMap<>();   // by the instructions' JSON: K samples, one parse

    @Override
    public String name() {
        return "verify:ifeval";
    }

    @Override
    public double[] score(List<SamplingPrompt> prompts, List<String> responses) {
        double[] out = new double[responses.size()];
        for (int i = 0; i < out.length; i++) {
            SamplingPrompt p = prompts.get(i);
            if (p.answer() == null || !InstructionSpec.VERIFIER.equals(p.verifier())) {
                throw new HerdInputException("prompt " + p.id() + ": verify:ifeval needs IFEval's instruction_id_list and "
                        + "kwargs (import the prompts in IFEval's layout)");
            }
            IfEvalPrompt checks = parsed.computeIfAbsent(p.answer(), a -> IfEvalPrompt.parse("prompt " + p.id(), a));
            out[i] = checks.strict(responses.get(i)).contains(false) ? 0 : 1;
        }
        return out;
    }
}
