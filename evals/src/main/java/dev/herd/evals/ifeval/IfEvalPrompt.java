package dev.herd.evals.ifeval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * An IFEval prompt's verifiable instructions, and the judgement of a response against them as lm-evaluation-harness
 * and Google's reference make it: strict (the response as given) and loose (an instruction counts as followed if any
 * of eight variants follows it: the response, without its first line, without its last line, without both, and each
 * of those with every '*' removed). An empty (blank) response follows nothing.
 */
public final class IfEvalPrompt {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> ids;
    private final List<Instruction> instructions;

    private IfEvalPrompt(List<String> ids, List<Instruction> instructions) {
        this.ids = List.copyOf(ids);
        this.instructions = List.copyOf(instructions);
    }

    /** The instruction ids, in the prompt's order. */
    public List<String> ids() {
        return ids;
    }

    /** The instruction ids known here. */
    public static List<String> knownIds() {
        return Instructions.IDS;
    }

    /**
     * Reads {@code instruction_id_list} and {@code kwargs} from an IFEval row (or from the object the prompt import
     * stores as an IFEval prompt's answer, {@code dev.herd.datasets.InstructionSpec}); {@code where} names the row in
     * errors.
     */
    public static IfEvalPrompt of(String where, JsonNode row) {
        JsonNode ids = row == null ? null : row.get("instruction_id_list");
        JsonNode kwargs = row == null ? null : row.get("kwargs");
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw new HerdInputException(where + ": 'instruction_id_list' must be a non-empty list of instruction ids");
        }
        if (kwargs == null || !kwargs.isArray() || kwargs.size() != ids.size()) {
            throw new HerdInputException(where + ": 'kwargs' must be a list with one object per instruction ("
                    + ids.size() + ")");
        }
        List<String> names = new ArrayList<>();
        List<Instruction> checks = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i).asText();
            if (!kwargs.get(i).isObject()) {
                throw new HerdInputException(where + ": kwargs[" + i + "] must be an object");
            }
            names.add(id);
            checks.add(Instructions.of(id, new Args(where + ": " + id, kwargs.get(i))));
        }
        return new IfEvalPrompt(names, checks);
    }

    /** {@link #of(String, JsonNode)} on JSON text, such as a stored prompt's answer. */
    public static IfEvalPrompt parse(String where, String json) {
        try {
            return of(where, JSON.readTree(json == null ? "" : json));
        } catch (JsonProcessingException e) {
            throw new HerdInputException(where + ": instructions are not JSON: " + e.getOriginalMessage());
        }
    }

    /** Per instruction, whether the response as given follows it. */
    public List<Boolean> strict(String response) {
        return instructions.stream().map(c -> follows(c, response)).toList();
    }

    /** Per instruction, whether any of the eight loose variants of the response follows it. */
    public List<Boolean> loose(String response) {
        List<String> variants = looseVariants(response);
        return instructions.stream().map(c -> variants.stream().anyMatch(v -> follows(c, v))).toList();
    }

    private static boolean follows(Instruction c, String response) {
        return !response.isBlank() && c.followedBy(response);
    }

    /**
     * The response, with '*' removed, without its first line, last line, both (each stripped), and those three
     * with '*' removed: markdown emphasis and a chatty first or last line ("Sure, here is ...") forgiven.
     */
    static List<String> looseVariants(String response) {
        List<String> lines = Text.split(response, "\n");
        String noFirst = String.join("\n", lines.subList(Math.min(1, lines.size()), lines.size())).strip();
        String noLast = String.join("\n", lines.subList(0, Math.max(0, lines.size() - 1))).strip();
        String noBoth = lines.size() < 2 ? "" : String.join("\n", lines.subList(1, lines.size() - 1)).strip();
        return List.of(response, response.replace("*", ""), noFirst, noLast, noBoth,
                noFirst.replace("*", ""), noLast.replace("*", ""), noBoth.replace("*", ""));
    }
}
