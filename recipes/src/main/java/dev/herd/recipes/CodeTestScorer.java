package dev.herd.recipes;

import dev.herd.evals.CodeRunner;
import dev.herd.common.HerdInputException;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Scorer;
import java.util.List;

/**
 * {@code verify:code}: runs the response followed by the prompt row's {@code tests} in the evals sandbox
 * (python3, no network where unshare works, memory/output/time limits); 1 when the tests pass. A response in a
 * Markdown code fence is unwrapped first, as chat models answer that way.
 */
final class CodeTestScorer implements Scorer {

    private final CodeRunner runner = CodeRunner.defaults();

    @Override
    public String name() {
        return "verify:code";
    }

    @Override
    public double[] score(List<SamplingPrompt> prompts, List<String> responses) {
        double[] out = new double[responses.size()];
        for (int i = 0; i < out.length; i++) {
            SamplingPrompt p = prompts.get(i);
            if (p.tests() == null) {
                throw new HerdInputException("prompt " + p.id() + ": verify:code needs a 'tests' field");
            }
            String program = code(responses.get(i)) + "\n\n" + p.tests() + "\n";
            out[i] = runner.run(program) == CodeRunner.Outcome.PASSED ? 1 : 0;
        }
        return out;
    }

    /** The first fenced code block of a response, or the response itself. */
    static String code(String response) {
        int open = response.indexOf("```");
        if (open < 0) {
            return response;
        }
        int lineEnd = response.indexOf('\n', open);
        int close = lineEnd < 0 ? -1 : response.indexOf("```", lineEnd);
        return close < 0 ? response.substring(lineEnd < 0 ? open + 3 : lineEnd + 1) : response.substring(lineEnd + 1, close);
    }
}
