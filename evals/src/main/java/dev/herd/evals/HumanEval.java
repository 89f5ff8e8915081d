package dev.herd.evals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * HumanEval: the model completes each function's prompt; the program prompt + completion + test +
 * {@code check(entry_point)} runs in a sandboxed python3 ({@link CodeRunner}); pass@k is unbiased over the n
 * samples per problem.
 */
final class HumanEval implements Task {

    private final List<EvalItem> items = new ArrayList<>();

    HumanEval(Path file) {
        for (JsonLines.Line l : JsonLines.read(file)) {
            String id = JsonLines.text(file, l, "task_id");
            items.add(EvalItem.generation(id, JsonLines.text(file, l, "prompt"),
                    l.node().path("canonical_solution").asText(""),
                    Map.of("test", JsonLines.text(file, l, "test"), "entry_point", JsonLines.text(file, l, "entry_point"))));
        }
    }

    /** The program that decides whether {@code completion} solves {@code item}. */
    static String program(EvalItem item, String completion) {
        return item.prompt() + completion + "\n\n" + item.extra().get("test") + "\n\ncheck(" + item.extra().get("entry_point") + ")\n";
    }

    @Override
    public String name() {
        return "humaneval";
    }

    @Override
    public Type type() {
        return Type.CODE;
    }

    @Override
    public int maxNewTokens() {
        return 512;
    }

    @Override
    public List<String> stopSequences() {
        return List.of("\nclass", "\ndef", "\n#", "\nif", "\nprint");
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }
}
