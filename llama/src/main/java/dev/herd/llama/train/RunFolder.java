package dev.herd.llama.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The folder a trainer keeps beside its output model, {@code OUT.ckpt/}: checkpoints (a re-run resumes from
 * them), cached inputs, and {@code metrics.jsonl}, one line per logged step, copied into the finished model
 * folder as {@code train_metrics.jsonl}.
 */
public final class RunFolder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private RunFolder(Path dir) {
        this.dir = dir;
    }

    /** {@code out}'s run folder, created if missing. */
    public static RunFolder of(Path out) {
        Path dir = out.resolveSibling(out.getFileName() + ".ckpt");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new RunFolder(dir);
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

    /** Copies {@code metrics.jsonl} into a model folder being written as {@code train_metrics.jsonl}. */
    public void copyMetricsInto(Path modelDir) {
        try {
            Files.copy(dir.resolve("metrics.jsonl"), modelDir.resolve("train_metrics.jsonl"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
