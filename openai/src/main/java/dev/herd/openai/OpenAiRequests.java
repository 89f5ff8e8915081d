package dev.herd.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.chat.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses request bodies into {@link ChatCompletionRequest} and {@link CompletionRequest}, checking every field
 * Herd reads, in a fixed order, with messages that name the field and what came. Fields Herd does not read are
 * ignored, as OpenAI-compatible servers do. What needs the model (prompt length, KV memory) the server checks.
 */
public final class OpenAiRequests {

    private OpenAiRequests() {}

    /**
     * @param servedModel the one model the server has: another name is a 404 {@code model_not_found}, reported
     *                    before anything else in the body is looked at (as OpenAI does)
     */
    public static ChatCompletionRequest chat(byte[] body, String servedModel) {
        ObjectNode b = object(body);
        String model = model(b, servedModel);
        JsonNode msgs = b.get("messages");
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
            throw OpenAiException.bad("'messages' must be a non-empty array");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : msgs) {
            if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw OpenAiException.bad("each message needs a string 'role' and a string 'content'");
            }
            messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        Sampling s = sampling(b, b.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens");
        if (b.hasNonNull("logprobs")) {
            throw OpenAiException.bad("'logprobs' is supported on /v1/completions only");
        }
        return new ChatCompletionRequest(model, List.copyOf(messages), s.temperature(), s.topP(), s.maxTokens(), s.n(),
                s.seed(), s.stop(), stream(b));
    }

    public static CompletionRequest completion(byte[] body, String servedModel) {
        ObjectNode b = object(body);
        String model = model(b, servedModel);
        List<String> prompts = new ArrayList<>();
        JsonNode p = b.get("prompt");
        if (p != null && p.isTextual()) {
            prompts.add(p.asText());
        } else if (p != null && p.isArray() && !p.isEmpty()) {
            for (JsonNode e : p) {
                if (!e.isTextual()) {
                    throw OpenAiException.bad("'prompt' must be a string or an array of strings");
                }
                prompts.add(e.asText());
            }
        } else {
            throw OpenAiException.bad("'prompt' must be a string or an array of strings");
        }
        Sampling s = sampling(b, "max_tokens");
        Integer logprobs = null;
        if (b.hasNonNull("logprobs")) {
            logprobs = integer(b, "logprobs");
            if (logprobs < 0 || logprobs > 5) {
                throw OpenAiException.bad("'logprobs' must be between 0 and 5, got " + logprobs);
            }
        }
        Boolean echo = null;
        if (b.hasNonNull("echo")) {
            if (!b.get("echo").isBoolean()) {
                throw OpenAiException.bad("'echo' must be true or false");
            }
            echo = b.get("echo").asBoolean();
            if (echo && Boolean.TRUE.equals(stream(b))) {
                throw OpenAiException.bad("'echo' is not supported with 'stream'");
            }
        }
        return new CompletionRequest(model, List.copyOf(prompts), s.temperature(), s.topP(), s.maxTokens(), s.n(), s.seed(),
                s.stop(), stream(b), logprobs, echo);
    }

    /** The fields both endpoints share; null where not given. */
    private record Sampling(Integer n, Integer maxTokens, Double temperature, Double topP, Long seed, List<String> stop) {}

    private static Sampling sampling(ObjectNode b, String maxTokensKey) {
        Integer n = integer(b, "n");
        if (n != null && (n < 1 || n > 128)) {
            throw OpenAiException.bad("'n' must be between 1 and 128, got " + n);
        }
        Integer maxTokens = integer(b, maxTokensKey);
        if (maxTokens != null && maxTokens < 0) {
            throw OpenAiException.bad("'max_tokens' must be >= 0, got " + maxTokens);
        }
        // Both types before either range, so a body wrong in both hears about the type first.
        Double temperature = number(b, "temperature");
        Double topP = number(b, "top_p");
        if (temperature != null && (temperature < 0 || temperature > 2)) {
            throw OpenAiException.bad("'temperature' must be between 0 and 2, got " + temperature);
        }
        if (topP != null && (topP <= 0 || topP > 1)) {
            throw OpenAiException.bad("'top_p' must be in (0, 1], got " + topP);
        }
        Long seed = null;
        if (b.hasNonNull("seed")) {
            if (!b.get("seed").isIntegralNumber()) {
                throw OpenAiException.bad("'seed' must be an integer");
            }
            seed = b.get("seed").asLong();
        }
        return new Sampling(n, maxTokens, temperature, topP, seed, stop(b));
    }

    private static List<String> stop(ObjectNode b) {
        JsonNode s = b.get("stop");
        if (s == null || s.isNull()) {
            return null;
        }
        List<String> stop = new ArrayList<>();
        if (s.isTextual()) {
            stop.add(s.asText());
        } else if (s.isArray() && s.size() <= ChatCompletionRequest.MAX_STOP) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw OpenAiException.bad("'stop' must be a string or an array of up to 4 strings");
                }
                stop.add(e.asText());
            }
        } else {
            throw OpenAiException.bad("'stop' must be a string or an array of up to 4 strings");
        }
        return List.copyOf(stop);
    }

    private static ObjectNode object(byte[] body) {
        JsonNode n;
        try {
            n = OpenAiJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw OpenAiException.bad("request body is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (n == null || !n.isObject()) {
            throw OpenAiException.bad("request body must be a JSON object");
        }
        return (ObjectNode) n;
    }

    private static String model(ObjectNode b, String servedModel) {
        JsonNode v = b.get("model");
        if (v == null || v.isNull()) {
            throw OpenAiException.bad("'model' is required");
        }
        if (!v.isTextual()) {
            throw OpenAiException.bad("'model' must be a string");
        }
        String model = v.asText();
        if (servedModel != null && !model.equals(servedModel)) {
            throw new OpenAiException(404, OpenAiError.INVALID_REQUEST, "model_not_found",
                    "The model '" + model + "' does not exist; this server has '" + servedModel + "'");
        }
        return model;
    }

    private static boolean stream(ObjectNode b) {
        JsonNode v = b.get("stream");
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw OpenAiException.bad("'stream' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static Integer integer(ObjectNode b, String key) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw OpenAiException.bad("'" + key + "' must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static Double number(ObjectNode b, String key) {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw OpenAiException.bad("'" + key + "' must be a number, got " + v);
        }
        return v.asDouble();
    }
}
