package dev.herd.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.chat.ChatMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The records against the JSON OpenAI's API reference documents, field by field. */
class OpenAiJsonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode tree(Object record) throws Exception {
        return JSON.readTree(OpenAiJson.write(record));
    }

    @Test
    void chatCompletionIsWrittenAsOpenAiDocumentsItAndReadsBack() throws Exception {
        ChatCompletion c = new ChatCompletion("chatcmpl-1", ChatCompletion.OBJECT, 1700000000L, "tiny",
                List.of(new ChatChoice(0, ChatMessage.assistant("Hello!"), null, "stop")), Usage.of(9, 2));
        JsonNode n = tree(c);
        assertEquals("chatcmpl-1", n.get("id").asText());
        assertEquals("chat.completion", n.get("object").asText());
        assertEquals(1700000000L, n.get("created").asLong());
        assertEquals("tiny", n.get("model").asText());
        JsonNode choice = n.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("Hello!", choice.get("message").get("content").asText());
        assertFalse(choice.get("message").has("tool_calls"), "no tool calls, no field");
        assertTrue(choice.has("logprobs") && choice.get("logprobs").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(9, n.get("usage").get("prompt_tokens").asInt());
        assertEquals(2, n.get("usage").get("completion_tokens").asInt());
        assertEquals(11, n.get("usage").get("total_tokens").asInt());
        assertEquals(c, OpenAiJson.read(OpenAiJson.write(c), ChatCompletion.class));
        assertEquals("Hello!", c.firstText());
    }

    @Test
    void textCompletionWithLogprobs() throws Exception {
        Map<String, Double> top = new LinkedHashMap<>();
        top.put(" blue", -0.1);
        top.put(" grey", -2.5);
        TextCompletion c = new TextCompletion("cmpl-1", TextCompletion.OBJECT, 1L, "tiny", List.of(
                new TextChoice(0, " blue", new Logprobs(List.of(" blue"), List.of(-0.1), List.of(top), List.of(0)), "length"),
                new TextChoice(1, " red", null, "stop")), Usage.of(4, 2));
        JsonNode n = tree(c);
        assertEquals("text_completion", n.get("object").asText());
        JsonNode lp = n.get("choices").get(0).get("logprobs");
        assertEquals(" blue", n.get("choices").get(0).get("text").asText());
        assertEquals(" blue", lp.get("tokens").get(0).asText());
        assertEquals(-0.1, lp.get("token_logprobs").get(0).asDouble());
        assertEquals(-2.5, lp.get("top_logprobs").get(0).get(" grey").asDouble());
        assertEquals(" blue", lp.get("top_logprobs").get(0).fieldNames().next(), "alternatives best first");
        assertEquals(0, lp.get("text_offset").get(0).asInt());
        assertEquals("length", n.get("choices").get(0).get("finish_reason").asText());
        assertTrue(n.get("choices").get(1).get("logprobs").isNull());
        assertEquals(c, OpenAiJson.read(OpenAiJson.write(c), TextCompletion.class));
    }

    @Test
    void streamEvents() throws Exception {
        JsonNode first = tree(new ChatCompletionChunk("c", ChatCompletionChunk.OBJECT, 1L, "tiny",
                List.of(new ChatChunkChoice(0, new ChatMessage("assistant", ""), null))));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        JsonNode ch = first.get("choices").get(0);
        assertEquals("assistant", ch.get("delta").get("role").asText());
        assertEquals("", ch.get("delta").get("content").asText());
        assertTrue(ch.has("finish_reason") && ch.get("finish_reason").isNull());
        JsonNode last = tree(new ChatCompletionChunk("c", ChatCompletionChunk.OBJECT, 1L, "tiny",
                List.of(new ChatChunkChoice(0, new ChatMessage(null, null), "stop"))));
        assertEquals(0, last.get("choices").get(0).get("delta").size(), "a delta with nothing new is {}");
        JsonNode text = tree(new TextCompletion("c", TextCompletion.OBJECT, 1L, "tiny",
                List.of(new TextChoice(0, "x", null, null)), null));
        assertFalse(text.has("usage"), "stream events carry no usage");
        assertTrue(text.get("choices").get(0).get("logprobs").isNull());
    }

    @Test
    void errorBodyHasAllFourFields() throws Exception {
        JsonNode n = tree(new OpenAiException(404, "invalid_request_error", "model_not_found", "no such model").response());
        JsonNode e = n.get("error");
        assertEquals("no such model", e.get("message").asText());
        assertEquals("invalid_request_error", e.get("type").asText());
        assertTrue(e.has("param") && e.get("param").isNull());
        assertEquals("model_not_found", e.get("code").asText());
        JsonNode server = tree(OpenAiException.server("boom").response()).get("error");
        assertEquals("server_error", server.get("type").asText());
        assertTrue(server.has("code") && server.get("code").isNull());
    }

    @Test
    void modelList() throws Exception {
        JsonNode n = tree(ModelList.of(List.of(ModelInfo.of("tiny", 5L, "herd"))));
        assertEquals("list", n.get("object").asText());
        JsonNode m = n.get("data").get(0);
        assertEquals("tiny", m.get("id").asText());
        assertEquals("model", m.get("object").asText());
        assertEquals(5L, m.get("created").asLong());
        assertEquals("herd", m.get("owned_by").asText());
        // Servers that send less (or more) still read.
        assertEquals("m", OpenAiJson.read("{\"data\": [{\"id\": \"m\", \"max_model_len\": 8}]}", ModelList.class).data().get(0).id());
    }

    @Test
    void requestsLeaveOutWhatIsNotSetAndAParsedRequestReadsTheSame() throws Exception {
        ChatCompletionRequest chat = ChatCompletionRequest.sample("tiny", List.of(ChatMessage.user("Hi")), 8, 0.5, 7,
                List.of("a", "b", "c", "d", "e"));
        JsonNode n = tree(chat);
        assertEquals("Hi", n.get("messages").get(0).get("content").asText());
        assertEquals(8, n.get("max_tokens").asInt());
        assertEquals(7, n.get("seed").asLong());
        assertEquals(4, n.get("stop").size(), "OpenAI takes at most 4 stop strings");
        assertFalse(n.has("top_p") || n.has("n") || n.has("stream"));
        ChatCompletionRequest back = OpenAiRequests.chat(OpenAiJson.bytes(chat), "tiny");
        assertEquals(chat.messages(), back.messages());
        assertEquals(chat.stop(), back.stop());
        assertEquals(chat.seed(), back.seed());

        JsonNode one = tree(CompletionRequest.sample("tiny", "Once upon", 4, 0, 1, List.of()));
        assertEquals("Once upon", one.get("prompt").asText(), "one prompt is a string");
        assertFalse(one.has("stop"));
        JsonNode two = tree(new CompletionRequest("tiny", List.of("a", "b"), null, null, null, null, null, null, null, null, null));
        assertEquals(2, two.get("prompt").size());
        JsonNode echo = tree(CompletionRequest.echoLogprobs("tiny", "abcd"));
        assertTrue(echo.get("echo").asBoolean());
        assertEquals(1, echo.get("logprobs").asInt());
        assertEquals(1, echo.get("max_tokens").asInt());
        assertEquals(0.0, echo.get("temperature").asDouble());
    }
}
