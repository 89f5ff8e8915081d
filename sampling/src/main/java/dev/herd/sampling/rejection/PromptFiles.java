package dev.herd.sampling.rejection;

import dev.herd.sampling.SamplingPrompt;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.InstructionSpec;
import dev.herd.llama.chat.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a prompts JSONL file: {@code prompt} (text) or {@code messages} (a conversation ending in a user turn),
 * optional {@code id} (else the line number), {@code answer}, {@code tests}, {@code verifier} (for
 * {@code verify:auto}); or IFEval's {@code instruction_id_list} and {@code kwargs} (for {@code verify:ifeval}).
 */
public final class PromptFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFiles() {}

    public static List<SamplingPrompt> read(Path file) {
        if (!Files.exists(file)) {
            throw new HerdInputException(file + ": no such file");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HerdInputException(file + ": cannot read: " + e.getMessage());
        }
        List<SamplingPrompt> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = file + ":" + (i + 1);
            JsonNode n;
            try {
                n = JSON.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                throw new HerdInputException(where + ": bad JSON: " + e.getOriginalMessage());
            }
            if (n == null || !n.isObject()) {
                throw new HerdInputException(where + ": expected a JSON object");
            }
            String id = n.hasNonNull("id") ? n.get("id").asText() : String.valueOf(i + 1);
            if (!ids.add(id)) {
                throw new HerdInputException(where + ": duplicate id '" + id + "'");
            }
            String text = null;
            List<ChatMessage> messages = null;
            if (n.hasNonNull("messages")) {
                messages = messages(n.get("messages"), where);
            } else if (n.hasNonNull("prompt") && n.get("prompt").isTextual()) {
                text = n.get("prompt").asText();
            } else {
                throw new HerdInputException(where + ": needs 'prompt' (text) or 'messages'");
            }
            if (InstructionSpec.present(n)) {
                // IFEval's layout: requests to an assistant (a user turn) whose instructions verify:ifeval checks.
                out.add(new SamplingPrompt(id, null, messages != null ? messages : List.of(ChatMessage.user(text)),
                        InstructionSpec.of(n, where), textOrNull(n, "tests"), null, InstructionSpec.VERIFIER));
                continue;
            }
            out.add(new SamplingPrompt(id, text, messages, textOrNull(n, "answer"), textOrNull(n, "tests"), null,
                    textOrNull(n, "verifier")));
        }
        return out;
    }

    private static String textOrNull(JsonNode n, String key) {
        return n.hasNonNull(key) ? n.get(key).asText() : null;
    }

    private static List<ChatMessage> messages(JsonNode arr, String where) {
        if (!arr.isArray() || arr.isEmpty()) {
            throw new HerdInputException(where + ": 'messages' must be a non-empty list");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : arr) {
            if (!m.hasNonNull("role") || !m.hasNonNull("content")) {
                throw new HerdInputException(where + ": every message needs 'role' and 'content'");
            }
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        if (!"user".equals(out.get(out.size() - 1).role())) {
            throw new HerdInputException(where + ": 'messages' must end with a user turn");
        }
        return out;
    }
}
