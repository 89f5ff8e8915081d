package dev.herd.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The JSONL file of {@code herd sample --out} and its sidecar {@code OUT.meta.json}, which records the model
 * (by content hash) and the settings that wrote it; the JSONL itself stays plain sample lines for other tools.
 * A re-run appends to the file only when it was written by Herd with the same model and settings, and the only
 * lines it ever drops are the ones a crash cut short at the end: anything else is refused, the file untouched.
 */
final class SampleFile {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WRITER = "herd sample";

    private final Path file;
    private final Path meta;
    private final ObjectNode record;
    private boolean recorded;

    /**
     * @param model    the model as a person reads it (a folder's absolute path, or name@url)
     * @param modelId  what identifies its behaviour (a folder's content hash, or name@url)
     * @param settings the sampling settings, keyed by their flag names without the dashes
     */
    SampleFile(Path file, String model, String modelId, ObjectNode settings) {
        this.file = file;
        this.meta = file.resolveSibling(file.getFileName() + ".meta.json");
        this.record = JSON.createObjectNode().put("written-by", WRITER).put("model", model).put("model-id", modelId);
        this.record.set("settings", settings);
    }

    /**
     * The prompts whose samples are all in the file. Checks the file first — its record, then every line — and
     * only then drops a tail that a crash cut short: a last line without its newline, and the lines of a last
     * prompt with fewer than {@code n} samples.
     */
    Set<String> resume() {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new HerdInputException(file + ": exists and is not a file; choose another --out");
        }
        JsonNode saved = readRecord();
        if (!Files.exists(file) || size() == 0) {
            return new HashSet<>();                  // nothing written yet: whatever record there is gets replaced
        }
        if (saved == null) {
            throw new HerdInputException(file + ": exists but has no " + meta.getFileName() + ", so Herd did not write it"
                    + " (or cannot tell with which model and settings); choose another --out or remove it");
        }
        String diff = difference(saved);
        if (diff != null) {
            throw new HerdInputException(file + ": was written " + diff + " (see " + meta.getFileName()
                    + "); resume with the same model and settings, or choose another --out");
        }
        SampleLines lines = SampleLines.check(file, readAll(), record.get("settings").get("n").asInt());
        if (lines.keep() < size()) {
            System.err.printf("%s: dropping the last %d bytes, a prompt's samples that a crash cut short%n", file,
                    size() - lines.keep());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(lines.keep());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines.done();
    }

    /** Appends one prompt's lines; the first append records the model and settings beside the file. */
    void append(String lines) {
        try {
            if (!recorded) {
                Path tmp = meta.resolveSibling(meta.getFileName() + ".tmp");
                Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record) + "\n");
                Files.move(tmp, meta, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                recorded = true;
            }
            Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sidecar's record, or null when there is none; a sidecar that is not Herd's is refused, not replaced. */
    private JsonNode readRecord() {
        if (!Files.exists(meta, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        JsonNode n;
        try {
            n = JSON.readTree(meta.toFile());
        } catch (IOException e) {
            n = null;
        }
        if (n == null || !WRITER.equals(n.path("written-by").asText()) || !n.path("settings").isObject()) {
            throw new HerdInputException(meta + ": not a record herd sample wrote; choose another --out or remove it");
        }
        return n;
    }

    /** How {@code saved} differs from this run, as the end of "was written …", or null. */
    private String difference(JsonNode saved) {
        if (!record.get("model-id").equals(saved.get("model-id"))) {
            return "by another model (" + describe(saved) + "; now " + describe(record) + ")";
        }
        JsonNode was = saved.get("settings");
        for (Iterator<Map.Entry<String, JsonNode>> it = record.get("settings").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = was.get(e.getKey());
            if (old == null || !sameValue(old, e.getValue())) {
                return "with --" + e.getKey() + " " + show(old) + ", not " + show(e.getValue());
            }
        }
        return null;
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        return a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
    }

    private static String describe(JsonNode r) {
        String id = r.path("model-id").asText("?");
        String model = r.path("model").asText("?");
        return id.startsWith("sha256:") ? model + ", sha256 " + id.substring(7, Math.min(id.length(), 19)) + "…" : model;
    }

    private static String show(JsonNode v) {
        return v == null || v.isNull() ? "unset" : v.isTextual() ? "'" + v.asText() + "'" : v.toString();
    }

    private long size() {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] readAll() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
