package dev.herd.llama.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.TestPaths;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChatEncoderTest {

    static LlamaTokenizer tok;
    static ChatEncoder official;

    @BeforeAll
    static void load() {
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        official = new ChatEncoder(tok, ChatTemplate.fromFile(
                TestPaths.shared().resolve("benchmarks/chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja")));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static String decode(EncodedChat e, boolean[] mask) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                ids.add(e.ids()[i]);
            }
        }
        return tok.decode(ids.stream().mapToInt(Integer::intValue).toArray(), false);
    }

    @Test
    void sftTargetsAreExactlyTheAssistantTurnsAndTheirEnds() {
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("What is 2 + 3?"),
                ChatMessage.assistant("5"), ChatMessage.user("And 10 + 1?"), ChatMessage.assistant("It is 11."));
        for (ChatEncoder enc : List.of(official, ChatEncoder.of(tok))) {
            EncodedChat e = enc.encode(chat, false);
            assertEquals("5<|eot_id|>It is 11.<|eot_id|>", decode(e, e.sftTargets()));
            // Same ids as tokenizing the rendered text whole, as HF's apply_chat_template(tokenize=True) does.
            assertArrayEquals(tok.encode(e.text(), false, true), e.ids());
        }
        EncodedChat e = ChatEncoder.of(tok).encode(chat, false);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\n<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\n<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|>",
                decode(e, e.formatting()));
    }

    @Test
    void contentThatAlsoAppearsInTheMarkupIsFoundWhereTheMessageIs() {
        // "h" is in "<|start_header_id|>", "Date" in the system header, "assistant" in the next header.
        List<ChatMessage> chat = List.of(ChatMessage.user("Date"), ChatMessage.assistant("h"), ChatMessage.user("assistant"),
                ChatMessage.assistant("user"));
        for (ChatEncoder enc : List.of(official, ChatEncoder.of(tok))) {
            EncodedChat e = enc.encode(chat, false);
            assertEquals("h<|eot_id|>user<|eot_id|>", decode(e, e.sftTargets()));
            assertArrayEquals(tok.encode(e.text(), false, true), e.ids());
            EncodedChat prompt = enc.encode(chat.subList(0, 1), true);
            assertArrayEquals(prompt.ids(), java.util.Arrays.copyOf(e.ids(), prompt.ids().length),
                    "the prompt's tokens are a prefix of the conversation's");
        }
    }

    @Test
    void toolCallsCountAsAssistantOutput() throws Exception {
        JsonNode goldens = new ObjectMapper().readTree(getClass().getResource("/chat/goldens.json"));
        for (JsonNode g : goldens) {
            if (!g.get("template").asText().equals("llama-3.1-instruct") || !g.get("name").asText().equals("tool-call-and-result")) {
                continue;
            }
            List<Map<String, Object>> messages = new ObjectMapper().convertValue(g.get("messages"), new TypeReference<>() {});
            List<Map<String, Object>> tools = new ObjectMapper().convertValue(g.get("tools"), new TypeReference<>() {});
            EncodedChat e = official.encode(messages, tools, false, Map.of());
            assertEquals(g.get("expected").asText(), e.text().replaceAll("Today Date: .*\n", "Today Date: 26 Jul 2024\n"));
            assertEquals("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Zürich\", \"unit\": \"celsius\"}}<|eot_id|>"
                    + "It is 21 °C.<|eot_id|>", decode(e, e.sftTargets()));
            assertArrayEquals(tok.encode(e.text(), false, true), e.ids());
        }
    }

    @Test
    void specialTokenTextInContentStaysText() {
        EncodedChat e = official.encode(List.of(ChatMessage.user("Say <|eot_id|> now"), ChatMessage.assistant("ok")), false);
        long eots = Arrays.stream(e.ids()).filter(i -> i == 128009).count();
        assertEquals(3, eots); // system, user and assistant turn ends; none from the user's text
        assertFalse(decode(e, e.sftTargets()).contains("Say"));
        assertEquals("ok<|eot_id|>", decode(e, e.sftTargets()));
    }
}
