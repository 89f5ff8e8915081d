package dev.herd.evals;

import dev.herd.common.HerdInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recorded responses, {@code {"task", "id", "response"}} per line, so scoring can be checked on its own. For
 * multiple-choice tasks the response is the chosen label; several lines for one item are several samples.
 */
public final class Replay {

    private final Path file;
    private final Map<String, List<String>> responses = new HashMap<>();

    public Replay(Path file) {
        this.file = file;
        for (JsonLines.Line l : JsonLines.read(file)) {
            String task = JsonLines.text(file, l, "task");
            if (!l.node().has("id")) {
                throw new HerdInputException(file + ":" + l.number() + ": missing field 'id'");
            }
            String response = JsonLines.text(file, l, "response");
            responses.computeIfAbsent(task + "\u0000" + l.node().get("id").asText(), k -> new ArrayList<>()).add(response);
        }
    }

    public String name() {
        return "replay:" + file;
    }

    /** The recorded responses of an item (empty when it was not recorded). */
    public List<String> responses(String task, String id) {
        return responses.getOrDefault(task + "\u0000" + id, List.of());
    }
}
