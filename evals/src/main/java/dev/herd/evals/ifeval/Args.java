package dev.herd.evals.ifeval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.common.HerdInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * One instruction's {@code kwargs} object, read with errors that name the prompt and the argument. Null values are
 * absent, as the reference drops them before building an instruction.
 */
record Args(String where, JsonNode node) {

    private HerdInputException error(String name, String what) {
        return new HerdInputException(where + ": argument '" + name + "' " + what);
    }

    private JsonNode required(String name) {
        JsonNode v = node == null ? null : node.get(name);
        if (v == null || v.isNull()) {
            throw error(name, "is missing");
        }
        return v;
    }

    int integer(String name) {
        JsonNode v = required(name);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw error(name, "must be a non-negative integer, got " + v);
        }
        return v.asInt();
    }

    String text(String name) {
        JsonNode v = required(name);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw error(name, "must be non-empty text, got " + v);
        }
        return v.asText();
    }

    List<String> texts(String name) {
        JsonNode v = required(name);
        if (!v.isArray() || v.isEmpty()) {
            throw error(name, "must be a non-empty list of text, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode t : v) {
            if (!t.isTextual() || t.asText().isEmpty()) {
                throw error(name, "must be a non-empty list of text, got " + v);
            }
            out.add(t.asText());
        }
        return out;
    }

    Relation relation(String name) {
        Relation r = Relation.parse(text(name));
        if (r == null) {
            throw error(name, "must be 'less than' or 'at least', got '" + node.get(name).asText() + "'");
        }
        return r;
    }
}
