package dev.herd.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.chat.ChatMessage;
import java.util.List;
import java.util.Map;

/** JSON (de)serialisation of the store's JSON columns. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final TypeReference<List<Map<String, Object>>> LIST_OF_MAPS = new TypeReference<>() {};
    static final TypeReference<List<ChatMessage>> MESSAGES = new TypeReference<>() {};

    private Json() {}

    static String write(Object o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<ChatMessage> messages(String json) {
        if (json == null) {
            return null;
        }
        try {
            return MAPPER.readValue(json, MESSAGES);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored messages are not valid JSON: " + e.getMessage(), e);
        }
    }
}
