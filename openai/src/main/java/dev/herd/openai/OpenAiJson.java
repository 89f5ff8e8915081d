package dev.herd.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;

/**
 * The one place the OpenAI records become JSON and back. Reading ignores fields Herd does not know: servers add
 * their own (vLLM's {@code prompt_logprobs}, {@code system_fingerprint}), and that must not fail a request.
 */
public final class OpenAiJson {

    static final ObjectMapper MAPPER = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private OpenAiJson() {}

    public static String write(Object record) {
        try {
            return MAPPER.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            // Only records of this package are written, and they always serialize.
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(Object record) {
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses an answer; a body that is not JSON of that shape throws (an IOException, which a client retries). */
    public static <T> T read(String json, Class<T> type) throws JsonProcessingException {
        return MAPPER.readValue(json, type);
    }
}
