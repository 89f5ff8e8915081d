package dev.herd.llama.train;

import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * What a trainer optimises: the loss of one micro-batch of examples. SFT, the reward model and DPO each
 * implement this; {@link TrainingLoop} does the rest (order, accumulation, clipping, AdamW, schedule,
 * checkpoints, metrics).
 *
 * @param <E> one training example (a packed conversation, a ranking, a preference pair)
 */
@FunctionalInterface
public interface Objective<E> {

    /**
     * The loss of {@code examples}, <em>summed</em> over its units (target tokens, pairs), computed inside the
     * open gradient collector; arrays go in {@code step}, which is closed after the optimizer step.
     */
    StepLoss loss(List<E> examples, NDManager step);
}
