package dev.herd.evals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code custom:PATH.jsonl}: one item a line, {@code {"id", "prompt" | "messages", "answer", "verifier"}} with
 * verifier exact (trimmed equality), numeric (the last number in the response equals the answer), regex (the
 * answer, a regular expression, is found in the response) or contains. Generated greedily, up to 256 new
 * tokens unless lines give {@code "max_new_tokens"} (the task uses the largest given): short-answer sets then
 * do not pay for rambling models.
 */
final class CustomTask implements Task {

    static final Set<String> VERIFIERS = Set.of("exact", "numeric", "regex", "contains");
    private final String name;
    private final List<EvalItem> items = new ArrayList<>();
    private int maxNewTokens = 0;

    CustomTask(Path file) {
        this.name = "custom:" + file;
        for (JsonLines.Line l : JsonLines.read(file)) {
            String where = file + ":" + l.number();
            String verifier = l.node().path("verifier").asText("exact");
            if (!VERIFIERS.contains(verifier)) {
                throw new HerdInputException(where + ": verifier '" + verifier + "' is not one of " + VERIFIERS);
            }
            if (!l.node().has("answer")) {
                throw new HerdInputException(where + ": missing field 'answer'");
            }
            String answer = l.node().get("answer").asText();
            if (verifier.equals("regex")) {
                try {
                    Pattern.compile(answer);
                } catch (PatternSyntaxException e) {
                    throw new HerdInputException(where + ": answer is not a valid regex: " + e.getDescription());
                }
            }
            if (l.node().has("max_new_tokens")) {
                JsonNode m = l.node().get("max_new_tokens");
                if (!m.canConvertToInt() || !m.isIntegralNumber() || m.asInt() < 1) {
                    throw new HerdInputException(where + ": max_new_tokens must be a positive integer, got " + m);
                }
                maxNewTokens = Math.max(maxNewTokens, m.asInt());
            }
            Map<String, String> extra = new HashMap<>();
            extra.put("verifier", verifier);
            String id = l.node().hasNonNull("id") ? l.node().get("id").asText() : String.valueOf(items.size());
            if (l.node().has("messages")) {
                if (!l.node().get("messages").isArray() || l.node().get("messages").isEmpty()) {
                    throw new HerdInputException(where + ": 'messages' must be a non-empty list");
                }
                items.add(EvalItem.conversation(id, messages(where, l.node().get("messages")), answer, extra));
            } else {
                items.add(EvalItem.generation(id, JsonLines.text(file, l, "prompt"), answer, extra));
            }
        }
    }

    /** Read once here, so a malformed turn is reported with its line rather than when the model is asked. */
    private static List<ChatMessage> messages(String where, JsonNode node) {
        try {
            return JsonLines.JSON.convertValue(node, new TypeReference<List<ChatMessage>>() {});
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(where + ": 'messages' must be a list of {\"role\", \"content\"} objects: "
                    + e.getMessage().split("\n")[0]);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Type type() {
        return Type.GENERATION;
    }

    @Override
    public int maxNewTokens() {
        return maxNewTokens > 0 ? maxNewTokens : Task.super.maxNewTokens();
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }

    @Override
    public Map<String, Double> scoreGeneration(EvalItem item, String response) {
        String a = item.answer();
        boolean ok = switch (item.extra().get("verifier")) {
            case "exact" -> response.strip().equals(a.strip());
            case "contains" -> response.contains(a);
            case "regex" -> Pattern.compile(a).matcher(response).find();
            default -> numericEquals(Gsm8k.last(Gsm8k.FLEXIBLE, response), a);
        };
        return Map.of("accuracy", ok ? 1.0 : 0.0);
    }

    private static boolean numericEquals(String got, String want) {
        if (got == null) {
            return false;
        }
        try {
            double g = Double.parseDouble(Gsm8k.normalize(got));
            double w = Double.parseDouble(Gsm8k.normalize(want));
            return Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
