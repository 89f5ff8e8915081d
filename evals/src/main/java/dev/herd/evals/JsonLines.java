package dev.herd.evals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads JSONL (gzipped or not) into objects, failing with the file and line of a malformed one. */
final class JsonLines {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A parsed line and where it was. */
    record Line(JsonNode node, int number) {}

    private JsonLines() {}

    static List<Line> read(Path file) {
        if (!Files.exists(file)) {
            throw new HerdInputException(file + ": no such file");
        }
        List<Line> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode node = JSON.readTree(line);
                    if (!node.isObject()) {
                        throw new HerdInputException(file + ":" + n + ": expected a JSON object");
                    }
                    out.add(new Line(node, n));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new HerdInputException(file + ":" + n + ": bad JSON: " + e.getOriginalMessage());
                }
            }
        } catch (IOException e) {
            throw new HerdInputException(file + ": cannot read: " + e.getMessage());
        }
        return out;
    }

    /** A required text field, or an error naming the file, line and field. */
    static String text(Path file, Line l, String field) {
        JsonNode v = l.node().get(field);
        if (v == null || v.isNull() || !v.isTextual()) {
            throw new HerdInputException(file + ":" + l.number() + ": missing text field '" + field + "'");
        }
        return v.asText();
    }
}
