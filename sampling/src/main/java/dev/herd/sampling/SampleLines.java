package dev.herd.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The lines of a {@code herd sample --out} file, checked as a resume reads them. Herd writes each prompt's
 * {@code n} lines in one append, so a crash can only cut the file short at its end: a last line without its
 * newline, or a last prompt with fewer than {@code n} lines. Those are where {@link #keep()} ends the file;
 * any other irregularity means someone else touched it, and is refused naming the line.
 *
 * @param done prompts with all {@code n} samples in the file
 * @param keep the length in bytes of the part to keep
 */
record SampleLines(Set<String> done, long keep) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static SampleLines check(Path file, byte[] bytes, int n) {
        Set<String> done = new HashSet<>();
        String current = null;
        int count = 0;
        int groupStart = 0;
        int start = 0;
        for (int line = 1; start < bytes.length; line++) {
            int end = indexOf(bytes, start);
            if (end < 0) {
                break;                                   // cut off before its newline: dropped with its prompt
            }
            JsonNode node = parse(file, line, new String(bytes, start, end - start, StandardCharsets.UTF_8), n);
            String id = node.get("prompt_id").asText();
            if (!id.equals(current)) {
                if (current != null) {
                    if (count < n) {
                        throw bad(file, line, "prompt " + current + " has " + count + " of its " + n
                                + " samples, yet another prompt starts here");
                    }
                    done.add(current);
                }
                if (done.contains(id)) {
                    throw bad(file, line, "prompt " + id + " appears a second time");
                }
                current = id;
                count = 0;
                groupStart = start;
            }
            int index = node.get("sample_index").asInt();
            if (index != count) {
                throw bad(file, line, "sample_index " + index + " of prompt " + id + " where " + count + " was due");
            }
            count++;
            start = end + 1;
        }
        if (current != null && count == n) {
            done.add(current);
            return new SampleLines(done, start);
        }
        return new SampleLines(done, current == null ? start : groupStart);
    }

    private static JsonNode parse(Path file, int line, String text, int n) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (IOException e) {
            throw bad(file, line, "not valid JSON");
        }
        if (node == null || !node.isObject() || !node.path("prompt_id").isTextual() || !node.path("response").isTextual()
                || !node.path("sample_index").isIntegralNumber()) {
            throw bad(file, line, "not a sample line (prompt_id, sample_index, response)");
        }
        if (node.path("n").asInt(-1) != n) {
            throw bad(file, line, "a sample of n " + node.path("n") + ", not " + n);
        }
        return node;
    }

    private static HerdInputException bad(Path file, int line, String why) {
        return new HerdInputException(file + ":" + line + ": " + why + "; herd sample resumes only files it wrote, "
                + "as it wrote them (the file is left as it is)");
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
