package dev.herd.sampling.server;

import com.sun.net.httpserver.HttpExchange;
import dev.herd.openai.OpenAiJson;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Watches the client of a non-streamed request while the engine works on its answer. The JDK's HTTP server never
 * tells a handler that its client hung up; only a write to the connection finds out. So an answer that takes
 * longer than {@link #GRACE_MS} is committed: status 200, a chunked JSON body, and a space every
 * {@link #BEAT_MS} until the answer follows (JSON allows whitespace before a value). A write that fails means the
 * client is gone, and the caller cancels the request's sequences. Quicker answers go out as before, with their
 * Content-Length and, on failure, their error status; a failure after the 200 went out is the body's error object.
 */
final class Heartbeat {

    /** How long an answer may take before its 200 is committed to watch the connection. */
    static final long GRACE_MS = 1000;
    /** How often the connection is written to after that; a hang-up is seen within two beats. */
    static final long BEAT_MS = 250;

    private final HttpExchange ex;
    private final long started = System.nanoTime();
    private OutputStream body;   // set once the 200 is committed

    Heartbeat(HttpExchange ex) {
        this.ex = ex;
    }

    /**
     * Called every {@link #BEAT_MS} while the answer is not ready.
     *
     * @throws IOException when the client has hung up
     */
    void beat() throws IOException {
        if (body == null) {
            if (System.nanoTime() - started < GRACE_MS * 1_000_000) {
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            body = ex.getResponseBody();
        }
        body.write(' ');
        body.flush();
    }

    /** Whether the 200 went out, so that an error can only be told in the body. */
    boolean committed() {
        return body != null;
    }

    /** The answer as the reply's JSON: whole, or after the spaces already sent. */
    void reply(Object record) throws IOException {
        if (body == null) {
            Replies.json(ex, 200, record);
        } else {
            body.write(OpenAiJson.bytes(record));
            body.flush();
        }
    }
}
