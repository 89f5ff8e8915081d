package dev.herd.evals;

import dev.herd.llama.chat.ChatMessage;
import java.util.List;
import java.util.Map;

/**
 * One benchmark item.
 *
 * @param id       the item's {@code task_id}/{@code id} where the data has one, else its 0-based row (MMLU:
 *                 {@code <subject>/<row>})
 * @param prompt   the text the model continues (few-shot examples included); null where {@code messages} is given
 * @param choices  multiple choice: the continuations scored by log-likelihood; else empty
 * @param labels   multiple choice: the label of each choice (A, B, ...), what a replayed response names
 * @param gold     multiple choice: index of the right choice
 * @param answer   generation: the reference answer
 * @param extra    task-specific fields (HumanEval's test and entry_point, a custom item's verifier)
 * @param messages generation: a conversation the model answers (in its chat template) instead of a prompt; else null
 */
public record EvalItem(String id, String prompt, List<String> choices, List<String> labels, int gold, String answer,
                       Map<String, String> extra, List<ChatMessage> messages) {

    public static EvalItem choice(String id, String prompt, List<String> choices, List<String> labels, int gold) {
        return new EvalItem(id, prompt, choices, labels, gold, null, Map.of(), null);
    }

    public static EvalItem generation(String id, String prompt, String answer, Map<String, String> extra) {
        return new EvalItem(id, prompt, List.of(), List.of(), -1, answer, extra, null);
    }

    public static EvalItem conversation(String id, List<ChatMessage> messages, String answer, Map<String, String> extra) {
        return new EvalItem(id, null, List.of(), List.of(), -1, answer, extra, List.copyOf(messages));
    }
}
