package dev.herd.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.util.stream.StreamSupport;

/**
 * A prompt's verifiable instructions in IFEval's layout ({@code key, prompt, instruction_id_list, kwargs}), kept as the
 * prompt's answer, {@code {"instruction_id_list": [...], "kwargs": [...]}}, with verifier {@value #VERIFIER}, for
 * {@code verify:ifeval}. Only the shape is checked here; the checker (evals) knows the instruction ids.
 */
public final class InstructionSpec {

    public static final String VERIFIER = "ifeval";

    private InstructionSpec() {}

    /** Whether a record is in IFEval's layout. */
    public static boolean present(JsonNode row) {
        return row.hasNonNull("instruction_id_list");
    }

    /** The record's instructions as compact JSON; {@code where} names the record in errors. */
    public static String of(JsonNode row, String where) {
        JsonNode ids = row.get("instruction_id_list");
        JsonNode kwargs = row.get("kwargs");
        if (ids == null || !ids.isArray() || ids.isEmpty()
                || !StreamSupport.stream(ids.spliterator(), false).allMatch(JsonNode::isTextual)) {
            throw new HerdInputException(where + ": column 'instruction_id_list' must be a non-empty list of instruction ids");
        }
        if (kwargs == null || !kwargs.isArray() || kwargs.size() != ids.size()
                || !StreamSupport.stream(kwargs.spliterator(), false).allMatch(JsonNode::isObject)) {
            throw new HerdInputException(where + ": column 'kwargs' must be a list of one object per instruction ("
                    + ids.size() + ")");
        }
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.set("instruction_id_list", ids);
        spec.set("kwargs", kwargs);
        return spec.toString();
    }
}
