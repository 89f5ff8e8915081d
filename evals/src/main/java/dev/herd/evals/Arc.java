package dev.herd.evals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.common.HerdInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ARC in AI2's JSONL format ({@code {"id", "question": {"stem", "choices": [{"text", "label"}]}, "answerKey"}},
 * labels A–E or 1–5), as lm-evaluation-harness runs it: "Question: {stem}\nAnswer:" and each choice's text as
 * the continuation.
 */
final class Arc implements Task {

    private final String name;
    private final List<EvalItem> items = new ArrayList<>();

    Arc(String name, Path file) {
        this.name = name;
        for (JsonLines.Line l : JsonLines.read(file)) {
            JsonNode q = l.node().path("question");
            JsonNode choices = q.path("choices");
            if (!q.path("stem").isTextual() || !choices.isArray() || choices.isEmpty()) {
                throw new HerdInputException(file + ":" + l.number() + ": expected question.stem and question.choices");
            }
            List<String> texts = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (JsonNode c : choices) {
                texts.add(" " + c.path("text").asText());
                labels.add(c.path("label").asText());
            }
            String key = JsonLines.text(file, l, "answerKey");
            int gold = labels.indexOf(key);
            if (gold < 0) {
                throw new HerdInputException(file + ":" + l.number() + ": answerKey '" + key + "' is not among " + labels);
            }
            String id = l.node().hasNonNull("id") ? l.node().get("id").asText() : String.valueOf(items.size());
            items.add(EvalItem.choice(id, "Question: " + q.get("stem").asText() + "\nAnswer:", texts, labels, gold));
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Type type() {
        return Type.MULTIPLE_CHOICE;
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }
}
