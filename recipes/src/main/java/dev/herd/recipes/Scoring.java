package dev.herd.recipes;

import dev.herd.sampling.scoring.Scorers;
import java.nio.file.Path;

/**
 * The scorer kinds a reward spec may name wherever every stage is in reach (the {@code herd} command, a recipe):
 * the verifiers, {@code verify:code} (the evals sandbox), {@code verify:ifeval} (the evals IFEval checkers) and
 * {@code rm:DIR} (a reward model, on the device the sampling runs on). The sampling stage itself knows only the verifiers: it may not depend on those stages.
 */
public final class Scoring {

    private Scoring() {}

    public static Scorers all() {
        return Scorers.verifiers()
                .with("verify:code", (arg, device) -> new CodeTestScorer())
                .with("verify:ifeval", (arg, device) -> new IfEvalScorer())
                .with("rm:", (arg, device) -> new RewardModelScorer(Path.of(arg), device));
    }
}
