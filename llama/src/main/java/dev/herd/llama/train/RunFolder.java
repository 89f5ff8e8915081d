package dev.herd.llama.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The folder a trainer keeps beside its output model, {@code OUT.ckpt/}: {@code run.json} (what the run was
 * started from, see {@link RunRecord}), checkpoints (a re-run resumes from them), cached inputs, and
 * {@code metrics.jsonl}, one line per logged step, copied into the finished model folder as
 * {@code train_metrics.jsonl}.
 */
final class RunFolder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private RunFolder(Path dir) {
        this.dir = dir;
    }

    /**
     * {@code out}'s run folder for a run started from {@code record}: created with {@code run.json} when
     * missing (or empty), and otherwise accepted only when it holds the record of a run started from the same
     * models, settings and data. Anything else is refused before training, naming what changed.
     */
    public static RunFolder start(Path out, RunRecord record) {
        Path dir = out.resolveSibling(out.getFileName() + ".ckpt");
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            checkSameRun(dir, record);
        }
        if (!Files.exists(dir.resolve(RunRecord.FILE))) {
            create(dir, record);
        }
        return new RunFolder(dir);
    }

    private static void checkSameRun(Path dir, RunRecord record) {
        String redo = "; write to a new --out or remove " + dir;
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new HerdInputException(dir + ": exists and is not a run folder Herd wrote" + redo);
        }
        Path file = dir.resolve(RunRecord.FILE);
        if (!Files.exists(file)) {
            try (Stream<Path> s = Files.list(dir)) {
                Optional<String> any = s.map(p -> p.getFileName().toString()).sorted().findFirst();
                if (any.isPresent()) {
                    throw new HerdInputException(dir + ": holds " + any.get() + " but no " + RunRecord.FILE
                            + ", so Herd cannot tell what this run was started from" + redo);
                }
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        JsonNode saved;
        try {
            saved = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HerdInputException(file + ": unreadable run record (" + e.getMessage().split("\n")[0] + ")" + redo);
        }
        String diff = record.difference(saved == null ? JSON.createObjectNode() : saved);
        if (diff != null) {
            throw new HerdInputException(dir + ": this run was started " + diff + redo);
        }
    }

    /** Writes run.json into a temporary sibling renamed into place, so the folder never exists without it. */
    private static void create(Path dir, RunRecord record) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs.getParent());
            if (Files.isDirectory(abs)) {
                writeRecord(abs, record);            // an empty run folder: nothing of another run to mix in
                return;
            }
            Path tmp = Files.createTempDirectory(abs.getParent(), abs.getFileName() + ".tmp-");
            writeRecord(tmp, record);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeRecord(Path dir, RunRecord record) throws IOException {
        Files.writeString(dir.resolve(RunRecord.FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record.json()) + "\n");
    }

    public Path dir() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    /** Appends {@code {"step": step, ...metrics}} to {@code metrics.jsonl}. */
    public void appendMetrics(int step, Map<String, Double> metrics) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.putAll(metrics);
        try {
            Files.writeString(dir.resolve("metrics.jsonl"), JSON.writeValueAsString(line) + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * For every key of {@code metrics.jsonl} (including {@code step}), its value on the last line that has it: a
     * run's final metrics, also when this process resumed a finished run and trained nothing.
     */
    public Map<String, Double> lastMetrics() {
        Map<String, Double> last = new LinkedHashMap<>();
        Path file = dir.resolve("metrics.jsonl");
        if (!Files.exists(file)) {
            return last;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                JSON.readTree(line).fields().forEachRemaining(e -> last.put(e.getKey(), number(e.getValue())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return last;
    }

    /** A logged value; Jackson writes a non-finite double as a string ("NaN"). */
    private static double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        try {
            return Double.parseDouble(v.asText());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Copies {@code metrics.jsonl} into a model folder being written as {@code train_metrics.jsonl}. */
    public void copyMetricsInto(Path modelDir) {
        try {
            Files.copy(dir.resolve("metrics.jsonl"), modelDir.resolve("train_metrics.jsonl"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
