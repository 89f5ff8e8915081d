package dev.herd.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.List;

/**
 * Writes a single prompt as a string rather than a list of one: OpenAI takes both, but simple servers (and the
 * stand-ins in tests) read {@code prompt} as text.
 */
final class PromptSerializer extends StdSerializer<List<String>> {

    @SuppressWarnings("unchecked")
    PromptSerializer() {
        super((Class<List<String>>) (Class<?>) List.class);
    }

    @Override
    public void serialize(List<String> prompts, JsonGenerator gen, SerializerProvider provider) throws IOException {
        if (prompts.size() == 1) {
            gen.writeString(prompts.get(0));
        } else {
            gen.writeStartArray();
            for (String p : prompts) {
                gen.writeString(p);
            }
            gen.writeEndArray();
        }
    }
}
