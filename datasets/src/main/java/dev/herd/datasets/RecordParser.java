package dev.herd.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one record of a dataset file (Hugging Face column layouts) into rows, or fails with the file and line.
 *
 * <ul>
 *   <li>SFT: {@code messages}, or {@code prompt} + {@code completion} (strings or message lists);</li>
 *   <li>preference: {@code chosen} + {@code rejected} (+ optional {@code prompt}, {@code edited},
 *       {@code strength}); strings or message lists; without {@code prompt}, the prompt is the shared start of
 *       chosen and rejected (HH-RLHF's "\n\nHuman: … \n\nAssistant: …" dialogues included);</li>
 *   <li>prompts: {@code prompt}, {@code messages} or {@code question} (+ optional {@code answer},
 *       {@code verifier}; or IFEval's {@code instruction_id_list} + {@code kwargs}, kept as the answer with
 *       verifier {@code ifeval}, its text prompt as a user turn).</li>
 * </ul>
 */
final class RecordParser {

    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "ipython");
    private static final Pattern HH_TURN = Pattern.compile("\\n\\n(Human|Assistant): ");

    private final String where;

    /** @param where the record's place for error messages: "FILE:LINE" or "FILE: row N" */
    RecordParser(String where) {
        this.where = where;
    }

    private HerdInputException error(String what) {
        return new HerdInputException(where + ": " + what);
    }

    SftExample sft(JsonNode r) {
        requireObject(r);
        List<ChatMessage> messages;
        if (r.hasNonNull("messages")) {
            messages = messages(r.get("messages"), "messages");
        } else if (r.hasNonNull("prompt") && r.hasNonNull("completion")) {
            messages = new ArrayList<>(asPrompt(r.get("prompt"), "prompt"));
            messages.addAll(asResponseTurns(r.get("completion"), "completion"));
        } else {
            throw error("missing column 'messages' (or 'prompt' and 'completion')");
        }
        if (messages.stream().noneMatch(m -> m.role().equals("assistant"))) {
            throw error("no assistant message to train on");
        }
        return new SftExample(0, messages, text(r, "origin", "human"), integer(r, "round"), text(r, "source", null),
                text(r, "topic", null), text(r, "difficulty", null), text(r, "split", null), number(r, "score"), null);
    }

    Preference preference(JsonNode r) {
        requireObject(r);
        for (String col : List.of("chosen", "rejected")) {
            if (!r.hasNonNull(col)) {
                throw error("missing column '" + col + "'");
            }
        }
        Strength strength = null;
        if (r.hasNonNull("strength")) {
            strength = Strength.parse(r.get("strength").asText());
            if (strength == null) {
                throw error("strength '" + r.get("strength").asText()
                        + "' is not one of: significantly better, better, slightly better, marginally better");
            }
        }
        List<ChatMessage> prompt;
        String chosen;
        String rejected;
        String edited = null;
        JsonNode c = r.get("chosen");
        JsonNode rj = r.get("rejected");
        if (r.hasNonNull("prompt")) {
            prompt = asPrompt(r.get("prompt"), "prompt");
            chosen = responseText(c, "chosen");
            rejected = responseText(rj, "rejected");
        } else {
            // Implicit prompt: chosen and rejected are whole conversations sharing their start. The prompt is their
            // shared start up to its last user turn; each response is the assistant turns after it (HH-RLHF has
            // pairs whose answers differ in two turns: their texts are joined, as one answer).
            List<ChatMessage> cm = conversation(c, "chosen");
            List<ChatMessage> rm = conversation(rj, "rejected");
            int shared = 0;
            while (shared < Math.min(cm.size(), rm.size()) - 1 && cm.get(shared).equals(rm.get(shared))) {
                shared++;
            }
            while (shared > 0 && !cm.get(shared - 1).role().equals("user")) {
                shared--;
            }
            if (shared == 0 || !assistantOnly(cm.subList(shared, cm.size())) || !assistantOnly(rm.subList(shared, rm.size()))) {
                throw error("without a 'prompt' column, chosen and rejected must be the same conversation up to a "
                        + "final assistant turn (or turns, after a shared user turn)");
            }
            prompt = cm.subList(0, shared);
            chosen = joined(cm.subList(shared, cm.size()));
            rejected = joined(rm.subList(shared, rm.size()));
        }
        if (r.hasNonNull("edited")) {
            edited = responseText(r.get("edited"), "edited");
        }
        if (prompt.isEmpty() || !prompt.get(prompt.size() - 1).role().equals("user")
                && !prompt.get(prompt.size() - 1).role().equals("tool") && !prompt.get(prompt.size() - 1).role().equals("ipython")) {
            throw error("the prompt must end with a user (or tool) turn");
        }
        return new Preference(0, List.copyOf(prompt), chosen, rejected, edited, strength, text(r, "source", null),
                integer(r, "round"), text(r, "split", null));
    }

    /** GSM8K's final line, {@code #### 1,234}: what follows is the answer. */
    private static final Pattern GSM8K_ANSWER = Pattern.compile("\n####\\s*(-?[0-9][0-9,]*(?:\\.[0-9]+)?)\\s*$");

    PromptRow prompt(JsonNode r) {
        requireObject(r);
        String source = text(r, "source", null);
        // A number as answer (GSM8K-style 12) is kept in its text form; verifiers compare text.
        String answer = text(r, "answer", null);
        String verifier = text(r, "verifier", null);
        String solution = text(r, "solution", null);
        // GSM8K's answer is a worked solution ending "#### N": the answer to verify is N (numeric), the solution
        // is kept beside it. Without this no sampled answer could ever match the whole solution text.
        Matcher gsm = answer == null || verifier != null ? null : GSM8K_ANSWER.matcher(answer);
        if (gsm != null && gsm.find()) {
            solution = answer;
            answer = gsm.group(1).replace(",", "").strip();
            verifier = "numeric";
        }
        if (InstructionSpec.present(r)) {
            if (answer != null) {
                throw error("give either 'answer' or IFEval's 'instruction_id_list' and 'kwargs', not both");
            }
            answer = InstructionSpec.of(r, where);
            verifier = InstructionSpec.VERIFIER;
        }
        // Exports write both columns, one of them null, so a null column counts as absent.
        if (r.hasNonNull("messages")) {
            List<ChatMessage> m = messages(r.get("messages"), "messages");
            return new PromptRow(0, null, m, source, text(r, "topic", null), text(r, "difficulty", null), text(r, "split", null),
                    answer, verifier, solution);
        }
        for (String col : List.of("prompt", "question")) {
            if (r.hasNonNull(col)) {
                JsonNode p = r.get(col);
                if (p.isArray()) {
                    return new PromptRow(0, null, messages(p, col), source, text(r, "topic", null),
                            text(r, "difficulty", null), text(r, "split", null), answer, verifier, solution);
                }
                if (!p.isTextual() || p.asText().isBlank()) {
                    throw error("column '" + col + "' must be non-empty text or a message list");
                }
                if (InstructionSpec.VERIFIER.equals(verifier)) {
                    // IFEval's prompts are requests to an assistant: a user turn, answered in the chat template.
                    return new PromptRow(0, null, List.of(ChatMessage.user(p.asText())), source, text(r, "topic", null),
                            text(r, "difficulty", null), text(r, "split", null), answer, verifier, solution);
                }
                return new PromptRow(0, p.asText(), null, source, text(r, "topic", null), text(r, "difficulty", null),
                        text(r, "split", null), answer, verifier, solution);
            }
        }
        throw error("missing column 'prompt' (or 'messages' or 'question')");
    }

    private void requireObject(JsonNode r) {
        if (r == null || !r.isObject()) {
            throw error("expected a JSON object");
        }
    }

    /** A message list with known roles and non-empty content. */
    List<ChatMessage> messages(JsonNode node, String col) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw error("column '" + col + "' must be a non-empty list of messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                throw error(col + "[" + i + "] is not a message object");
            }
            String role = m.path("role").asText(null);
            if (role == null || !ROLES.contains(role)) {
                throw error(col + "[" + i + "] has role " + (role == null ? "missing" : "'" + role + "'")
                        + " (expected one of system, user, assistant, tool, ipython)");
            }
            JsonNode content = m.get("content");
            List<Map<String, Object>> calls = null;
            if (m.hasNonNull("tool_calls")) {
                calls = Json.MAPPER.convertValue(m.get("tool_calls"), Json.LIST_OF_MAPS);
            }
            String text = content(content, col + "[" + i + "]");
            if ((text == null || text.isBlank()) && calls == null) {
                throw error(col + "[" + i + "] (" + role + ") has empty content");
            }
            out.add(new ChatMessage(role, text, calls));
        }
        return out;
    }

    /**
     * A message's content as text: a string, or Hugging Face's list of parts ({@code [{"type": "text",
     * "text": ...}]}), whose text parts are concatenated as the Llama 3.1 chat template does.
     */
    private String content(JsonNode content, String place) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                String type = part.path("type").asText("");
                if (!type.equals("text") || !part.path("text").isTextual()) {
                    throw error(place + " has a content part of type '" + type + "'; only text parts are supported");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        if (content.isValueNode()) {
            return content.asText();
        }
        throw error(place + " content must be text or a list of text parts");
    }

    private List<ChatMessage> asPrompt(JsonNode node, String col) {
        if (node.isTextual()) {
            if (node.asText().isBlank()) {
                throw error("column '" + col + "' is empty");
            }
            return List.of(ChatMessage.user(node.asText()));
        }
        return messages(node, col);
    }

    private List<ChatMessage> asResponseTurns(JsonNode node, String col) {
        if (node.isTextual()) {
            if (node.asText().isBlank()) {
                throw error("column '" + col + "' is empty");
            }
            return List.of(ChatMessage.assistant(node.asText()));
        }
        return messages(node, col);
    }

    /** Notes on what this record needed ({@link #EMPTY_RESPONSE}, {@link #JOINED_TURNS}), for the import summary. */
    static final String EMPTY_RESPONSE = "with an empty response";
    static final String JOINED_TURNS = "whose responses span several assistant turns (joined)";

    private final java.util.Set<String> notes = new java.util.TreeSet<>();

    java.util.Set<String> notes() {
        return notes;
    }

    private static boolean assistantOnly(List<ChatMessage> turns) {
        return !turns.isEmpty() && turns.stream().allMatch(t -> t.role().equals("assistant"));
    }

    private String joined(List<ChatMessage> turns) {
        if (turns.size() > 1) {
            notes.add(JOINED_TURNS);
        }
        String text = String.join("\n\n", turns.stream().map(ChatMessage::content).toList());
        if (text.isEmpty()) {
            notes.add(EMPTY_RESPONSE);
        }
        return text;
    }

    /**
     * A response given as text, or as a list ending in one assistant message. An empty response is real data (a
     * bad answer HH-RLHF's annotators ranked): kept, and noted.
     */
    private String responseText(JsonNode node, String col) {
        if (node.isTextual()) {
            if (node.asText().isEmpty()) {
                notes.add(EMPTY_RESPONSE);
            }
            return node.asText();
        }
        List<ChatMessage> m = messages(node, col);
        ChatMessage last = m.get(m.size() - 1);
        if (!last.role().equals("assistant") || last.content() == null) {
            throw error("column '" + col + "' must end with an assistant message");
        }
        return last.content();
    }

    /** A whole conversation: a message list, or an HH-RLHF style "\n\nHuman: … \n\nAssistant: …" text. */
    private List<ChatMessage> conversation(JsonNode node, String col) {
        if (node.isArray()) {
            return messages(node, col);
        }
        if (!node.isTextual()) {
            throw error("column '" + col + "' must be text or a message list");
        }
        String text = node.asText();
        Matcher m = HH_TURN.matcher(text);
        List<int[]> marks = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        while (m.find()) {
            marks.add(new int[] {m.start(), m.end()});
            roles.add(m.group(1).equals("Human") ? "user" : "assistant");
        }
        if (marks.isEmpty() || marks.get(0)[0] != 0) {
            throw error("without a 'prompt' column, '" + col + "' must be a message list or a "
                    + "\"\\n\\nHuman: … \\n\\nAssistant: …\" dialogue");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < marks.size(); i++) {
            int end = i + 1 < marks.size() ? marks.get(i + 1)[0] : text.length();
            String content = text.substring(marks.get(i)[1], end);
            boolean lastAnswer = i == marks.size() - 1 && roles.get(i).equals("assistant");
            if (content.isBlank() && !lastAnswer) {
                throw error("'" + col + "' has an empty " + roles.get(i) + " turn");
            }
            out.add(new ChatMessage(roles.get(i), content, null));
        }
        return out;
    }

    private String text(JsonNode r, String col, String dflt) {
        JsonNode n = r.get(col);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isValueNode()) {
            throw error("column '" + col + "' must be text");
        }
        return n.asText();
    }

    private Integer integer(JsonNode r, String col) {
        JsonNode n = r.get(col);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw error("column '" + col + "' must be an integer, got " + n);
        }
        return n.asInt();
    }

    private Double number(JsonNode r, String col) {
        JsonNode n = r.get(col);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw error("column '" + col + "' must be a number, got " + n);
        }
        return n.asDouble();
    }
}
