package dev.herd.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
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

/** Reads dataset files straight into records, with the same checks and file:line errors as an import. */
public final class DatasetFiles {

    private DatasetFiles() {}

    /** SFT examples of a JSONL file ({@code messages} or {@code prompt} + {@code completion}). */
    public static List<SftExample> readSft(Path file) {
        List<SftExample> out = new ArrayList<>();
        forEachLine(file, (where, node) -> out.add(new RecordParser(where).sft(node)));
        return out;
    }

    /** Preference rankings of a JSONL file. */
    public static List<Preference> readPreferences(Path file) {
        List<Preference> out = new ArrayList<>();
        forEachLine(file, (where, node) -> out.add(new RecordParser(where).preference(node)));
        return out;
    }

    private interface LineHandler {
        void handle(String where, JsonNode node);
    }

    private static void forEachLine(Path file, LineHandler h) {
        if (!Files.exists(file)) {
            throw new HerdInputException(file + ": no such file");
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new HerdInputException(file + ":" + n + ": bad JSON: " + e.getOriginalMessage());
                }
                h.handle(file + ":" + n, node);
            }
        } catch (IOException e) {
            throw new HerdInputException(file + ": cannot read: " + e.getMessage());
        }
    }
}
