package dev.herd.llama.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.llama.TestPaths;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Byte-for-byte against Python Jinja2 under HF's settings (goldens from src/test/resources/chat/make_goldens.py). */
class ChatTemplateTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static ChatTemplate template(String name) {
        Path shared = TestPaths.shared();
        return switch (name) {
            case "tokenizer_config" -> ChatTemplate.fromTokenizerConfig(
                    readTree(shared.resolve("llama3.1-tokenizer/tokenizer_config.json")),
                    shared.resolve("llama3.1-tokenizer/tokenizer_config.json")).orElseThrow();
            case "llama-3.1-instruct" -> ChatTemplate.fromFile(shared.resolve("benchmarks/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja"));
            case "llama-3.2-instruct" -> ChatTemplate.fromFile(shared.resolve("benchmarks/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja"));
            default -> throw new IllegalArgumentException(name);
        };
    }

    static JsonNode readTree(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> rendersLikeHuggingFace() throws Exception {
        JsonNode goldens = JSON.readTree(getClass().getResource("/chat/goldens.json"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode g : goldens) {
            tests.add(DynamicTest.dynamicTest(g.get("template").asText() + " / " + g.get("name").asText(), () -> {
                List<Map<String, Object>> messages = JSON.convertValue(g.get("messages"), new TypeReference<>() {});
                List<Map<String, Object>> tools = g.get("tools").isNull() ? null
                        : JSON.convertValue(g.get("tools"), new TypeReference<>() {});
                Map<String, Object> extra = JSON.convertValue(g.get("extra"), new TypeReference<>() {});
                String got = template(g.get("template").asText()).render(messages, tools,
                        g.get("add_generation_prompt").asBoolean(), extra, "<|begin_of_text|>", "<|eot_id|>",
                        LocalDateTime.of(2026, 11, 23, 12, 0));
                assertEquals(g.get("expected").asText(), got);
            }));
        }
        return tests.stream();
    }

    @Test
    void raiseExceptionBecomesAnInputError() {
        // Meta's template refuses two tool calls in one message.
        Map<String, Object> call = Map.of("type", "function", "function", Map.of("name", "f", "arguments", Map.of()));
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "x"),
                Map.of("role", "assistant", "tool_calls", List.of(call, call)));
        HerdInputException e = assertThrows(HerdInputException.class, () -> template("llama-3.1-instruct")
                .render(messages, null, false, Map.of(), "<|begin_of_text|>", "<|eot_id|>", LocalDateTime.now()));
        assertTrue(e.getMessage().contains("This model only supports single tool-calls at once!"), e.getMessage());
    }

    @Test
    void pythonJsonFormatting() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", List.of(1.5, "ü\n"));
        m.put("c", null);
        assertEquals("{\"a\": 1, \"b\": [1.5, \"ü\\n\"], \"c\": null}", PyJson.dumps(m, null));
        assertEquals("21.0", PyJson.pyFloat(21.0));
        assertEquals("1e-05", PyJson.pyFloat(1e-5));
        assertEquals("1.5e+16", PyJson.pyFloat(1.5e16));
        assertEquals("[\n    1,\n    {}\n]", PyJson.dumps(List.of(1, Map.of()), 4));
    }
}
