package dev.herd.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.chat.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenAiRequestsTest {

    static byte[] b(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static OpenAiException chatError(String json) {
        return assertThrows(OpenAiException.class, () -> OpenAiRequests.chat(b(json), "tiny"));
    }

    static OpenAiException completionError(String json) {
        return assertThrows(OpenAiException.class, () -> OpenAiRequests.completion(b(json), "tiny"));
    }

    static void bad(String message, OpenAiException e) {
        assertEquals(400, e.status());
        assertEquals(message, e.getMessage());
        assertEquals("invalid_request_error", e.response().error().type());
    }

    @Test
    void chatRequestWithEveryField() {
        ChatCompletionRequest r = OpenAiRequests.chat(b("""
                {"model": "tiny", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                 "temperature": 0.7, "top_p": 0.9, "max_tokens": 12, "n": 3, "seed": 42, "stop": ["\\n", "END"],
                 "stream": true, "user": "ignored"}"""), "tiny");
        assertEquals("tiny", r.model());
        assertEquals(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), r.messages());
        assertEquals(0.7, r.temperature());
        assertEquals(0.9, r.topP());
        assertEquals(12, r.maxTokens());
        assertEquals(3, r.n());
        assertEquals(42L, r.seed());
        assertEquals(List.of("\n", "END"), r.stop());
        assertTrue(r.stream());
    }

    @Test
    void absentFieldsAreNullForTheServersDefaults() {
        ChatCompletionRequest r = OpenAiRequests.chat(b("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"seed\": null, \"stop\": null}"), "tiny");
        assertNull(r.temperature());
        assertNull(r.topP());
        assertNull(r.maxTokens());
        assertNull(r.n());
        assertNull(r.seed());
        assertNull(r.stop());
        assertFalse(r.stream());
    }

    @Test
    void maxCompletionTokensIsTheChatsNewerNameForMaxTokens() {
        ChatCompletionRequest r = OpenAiRequests.chat(b("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"max_completion_tokens\": 7, \"max_tokens\": 99}"), "tiny");
        assertEquals(7, r.maxTokens());
        bad("'max_completion_tokens' must be an integer, got \"7\"", chatError("{\"model\": \"tiny\", \"messages\": "
                + "[{\"role\": \"user\", \"content\": \"x\"}], \"max_completion_tokens\": \"7\"}"));
    }

    @Test
    void completionRequestWithEveryField() {
        CompletionRequest r = OpenAiRequests.completion(b("""
                {"model": "tiny", "prompt": ["a", "b"], "temperature": 0, "top_p": 1, "max_tokens": 5, "n": 2,
                 "seed": -3, "stop": "\\n\\n", "stream": false, "logprobs": 5, "echo": true}"""), "tiny");
        assertEquals(List.of("a", "b"), r.prompt());
        assertEquals(0.0, r.temperature());
        assertEquals(1.0, r.topP());
        assertEquals(5, r.maxTokens());
        assertEquals(2, r.n());
        assertEquals(-3L, r.seed());
        assertEquals(List.of("\n\n"), r.stop());
        assertFalse(r.stream());
        assertEquals(5, r.logprobs());
        assertEquals(Boolean.TRUE, r.echo(), "herd serve echoes the prompt with its log-probs");
        assertNull(OpenAiRequests.completion(b("{\"model\": \"tiny\", \"prompt\": \"one\"}"), "tiny").echo());
        assertEquals(List.of("one"), OpenAiRequests.completion(b("{\"model\": \"tiny\", \"prompt\": \"one\"}"), "tiny").prompt());
    }

    @Test
    void badBodiesGetPreciseMessages() {
        String msg = "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
        assertTrue(chatError("{\"model\": ").getMessage().startsWith("request body is not valid JSON: "));
        bad("request body must be a JSON object", chatError("[1, 2]"));
        bad("request body must be a JSON object", chatError(""));
        bad("'model' is required", chatError("{" + msg + "}"));
        bad("'model' must be a string", chatError("{\"model\": 3, " + msg + "}"));
        bad("'messages' must be a non-empty array", chatError("{\"model\": \"tiny\", \"messages\": []}"));
        bad("each message needs a string 'role' and a string 'content'",
                chatError("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\"}]}"));
        bad("'n' must be between 1 and 128, got 0", chatError("{\"model\": \"tiny\", " + msg + ", \"n\": 0}"));
        bad("'n' must be an integer, got 1.5", chatError("{\"model\": \"tiny\", " + msg + ", \"n\": 1.5}"));
        bad("'max_tokens' must be >= 0, got -1", chatError("{\"model\": \"tiny\", " + msg + ", \"max_tokens\": -1}"));
        bad("'temperature' must be a number, got \"hot\"", chatError("{\"model\": \"tiny\", " + msg + ", \"temperature\": \"hot\"}"));
        bad("'temperature' must be between 0 and 2, got 2.5", chatError("{\"model\": \"tiny\", " + msg + ", \"temperature\": 2.5}"));
        bad("'top_p' must be in (0, 1], got 0.0", chatError("{\"model\": \"tiny\", " + msg + ", \"top_p\": 0}"));
        // Types are checked before ranges: a bad temperature range does not hide a top_p of the wrong type.
        bad("'top_p' must be a number, got true", chatError("{\"model\": \"tiny\", " + msg + ", \"temperature\": 9, \"top_p\": true}"));
        bad("'seed' must be an integer", chatError("{\"model\": \"tiny\", " + msg + ", \"seed\": 1.5}"));
        bad("'stop' must be a string or an array of up to 4 strings",
                chatError("{\"model\": \"tiny\", " + msg + ", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}"));
        bad("'stop' must be a string or an array of up to 4 strings", chatError("{\"model\": \"tiny\", " + msg + ", \"stop\": [1]}"));
        bad("'logprobs' is supported on /v1/completions only", chatError("{\"model\": \"tiny\", " + msg + ", \"logprobs\": true}"));
        bad("'stream' must be true or false, got \"yes\"", chatError("{\"model\": \"tiny\", " + msg + ", \"stream\": \"yes\"}"));

        bad("'prompt' must be a string or an array of strings", completionError("{\"model\": \"tiny\"}"));
        bad("'prompt' must be a string or an array of strings", completionError("{\"model\": \"tiny\", \"prompt\": []}"));
        bad("'prompt' must be a string or an array of strings", completionError("{\"model\": \"tiny\", \"prompt\": [\"a\", 1]}"));
        bad("'max_tokens' must be an integer, got \"ten\"", completionError("{\"model\": \"tiny\", \"prompt\": \"x\", \"max_tokens\": \"ten\"}"));
        bad("'logprobs' must be between 0 and 5, got 6", completionError("{\"model\": \"tiny\", \"prompt\": \"x\", \"logprobs\": 6}"));
    }

    @Test
    void anotherModelIsNotFoundBeforeTheRestOfTheBodyIsChecked() {
        OpenAiException e = chatError("{\"model\": \"gpt-9\", \"messages\": []}");
        assertEquals(404, e.status());
        assertEquals("model_not_found", e.response().error().code());
        assertEquals("The model 'gpt-9' does not exist; this server has 'tiny'", e.getMessage());
    }
}
