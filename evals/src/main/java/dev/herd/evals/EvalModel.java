package dev.herd.evals;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;

/** What the evaluator asks of a model: log-likelihoods of continuations, and generations. */
public interface EvalModel extends AutoCloseable {

    /** A continuation to score after its context. */
    record Continuation(String context, String continuation) {}

    /**
     * A generation request.
     *
     * @param prompt   plain text to continue, or null when {@code messages} is given
     * @param messages a conversation to answer, or null
     */
    record Generation(String prompt, List<ChatMessage> messages, List<String> stop, int maxTokens, double temperature,
                      long seed) {}

    /** A short name for results tables. */
    String name();

    /** Σ log p(continuation tokens | context) for each request. */
    double[] logLikelihoods(List<Continuation> requests);

    /** The generated text of each request, cut at its first stop sequence. */
    List<String> generate(List<Generation> requests);

    @Override
    default void close() {}
}
