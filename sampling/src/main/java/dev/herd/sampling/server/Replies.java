package dev.herd.sampling.server;

import com.sun.net.httpserver.HttpExchange;
import dev.herd.openai.OpenAiException;
import dev.herd.openai.OpenAiJson;
import java.io.IOException;

/** Whole JSON answers, and errors in OpenAI's {@code {"error": {...}}} shape. */
final class Replies {

    private Replies() {}

    static void json(HttpExchange ex, int status, Object record) throws IOException {
        byte[] bytes = OpenAiJson.bytes(record);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    static void error(HttpExchange ex, OpenAiException e) {
        try {
            json(ex, e.status(), e.response());
        } catch (IOException | RuntimeException ignored) {
            // the client went away (or headers were already sent by a stream); nothing left to tell it
        }
    }
}
