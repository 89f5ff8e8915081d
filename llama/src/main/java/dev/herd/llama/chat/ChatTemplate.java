package dev.herd.llama.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint's Jinja chat template, rendered with Hugging Face's {@code apply_chat_template} semantics:
 * variables {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token},
 * {@code tools} and any extra keyword (e.g. {@code date_string}, {@code builtin_tools}); functions
 * {@code raise_exception} and {@code strftime_now}; a {@code tojson} that writes what Python's
 * {@code json.dumps} writes; and Python Jinja2's {@code trim_blocks}/{@code lstrip_blocks} whitespace.
 *
 * <p>Rendered with jinjava, whose defaults differ from Jinja2 in whitespace control, operator precedence and
 * a few filters and tests; {@link JinjaCompat} holds the settings and replacements that make the output
 * byte-identical to HF's for Meta's Llama 3.1 and 3.2 templates (see ChatTemplateTest's goldens).
 */
public final class ChatTemplate {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String origin;

    public ChatTemplate(String source, String origin) {
        this.source = source;
        this.origin = origin;
    }

    public String source() {
        return source;
    }

    /** A template file ({@code .jinja}). */
    public static ChatTemplate fromFile(Path file) {
        try {
            return new ChatTemplate(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new HerdInputException(file + ": cannot read chat template: " + e.getMessage());
        }
    }

    /**
     * The {@code chat_template} of a {@code tokenizer_config.json}: a string, or a list of
     * {@code {"name", "template"}} of which the one named "default" is used. Empty when there is none.
     */
    public static Optional<ChatTemplate> fromTokenizerConfig(JsonNode config, Path file) {
        JsonNode t = config == null ? null : config.get("chat_template");
        if (t == null || t.isNull()) {
            Path jinja = file.resolveSibling("chat_template.jinja");
            return Files.exists(jinja) ? Optional.of(fromFile(jinja)) : Optional.empty();
        }
        if (t.isTextual()) {
            return Optional.of(new ChatTemplate(t.asText(), file.toString()));
        }
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    return Optional.of(new ChatTemplate(named.path("template").asText(), file + " (default)"));
                }
            }
            throw new HerdInputException(file + ": chat_template is a list without a template named 'default'");
        }
        throw new HerdInputException(file + ": chat_template must be a string or a list of named templates");
    }

    /** Messages as the template sees them: maps without null fields ({@code 'tool_calls' in message} must be false). */
    public static List<Map<String, Object>> toMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            out.add(JSON.convertValue(m, JinjaCompat.MAP_TYPE));
        }
        return out;
    }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return renderMaps(toMaps(messages), null, addGenerationPrompt, Map.of());
    }

    /**
     * Renders the template.
     *
     * @param tools JSON-schema tool definitions, or null for none (the variable is then undefined, as in HF)
     * @param extra further variables ({@code date_string}, {@code builtin_tools}, {@code tools_in_user_message})
     */
    public String renderMaps(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                             boolean addGenerationPrompt, Map<String, Object> extra) {
        return render(messages, tools, addGenerationPrompt, extra, "<|begin_of_text|>", "<|eot_id|>", LocalDateTime.now());
    }

    /** As {@link #renderMaps}, with explicit special tokens and the instant {@code strftime_now} sees. */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                         Map<String, Object> extra, String bosToken, String eosToken, LocalDateTime now) {
        Map<String, Object> vars = new HashMap<>(extra);
        vars.put("messages", messages);
        if (tools != null) {
            vars.put("tools", tools);
        }
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken == null ? "" : bosToken);
        vars.put("eos_token", eosToken == null ? "" : eosToken);
        vars.put("strftime_now", JinjaCompat.DEFINED_FUNCTION); // so that `strftime_now is defined` holds
        JinjaCompat.NOW.set(now);
        try {
            RenderResult result = JinjaCompat.engine().renderForResult(JinjaCompat.preprocess(source), vars);
            for (TemplateError error : result.getErrors()) {
                if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                    String raised = JinjaCompat.raisedMessage(error);
                    throw new HerdInputException(raised != null
                            ? "chat template: " + raised
                            : origin + ": chat template error at line " + error.getLineno() + ": " + error.getMessage());
                }
            }
            return result.getOutput();
        } finally {
            JinjaCompat.NOW.remove();
        }
    }
}
