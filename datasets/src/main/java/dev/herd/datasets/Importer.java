package dev.herd.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.herd.common.HerdInputException;
import dev.herd.common.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.GZIPInputStream;

/**
 * Imports JSONL ({@code .jsonl}, {@code .json} lines, gzipped or not) and Parquet files in Hugging Face
 * column layouts. A whole call is one transaction: the first malformed record stops it with the file and line
 * (row, for Parquet) and nothing of the call is kept.
 *
 * <p>Reading and checking records runs on its own thread while DuckDB's appender writes the previous batch,
 * so both cores work; Parquet is decoded by DuckDB itself, on a second connection.
 */
public final class Importer {

    private static final ObjectReader READER = Json.MAPPER.reader();
    private static final int BATCH = 2048;

    private final Store store;
    private final boolean skipInvalid;
    private final List<String> skipped = Collections.synchronizedList(new ArrayList<>());
    private final java.util.Map<String, java.util.concurrent.atomic.LongAdder> notes = new java.util.concurrent.ConcurrentSkipListMap<>();
    private long progressMinBytes = Long.MAX_VALUE;

    public Importer(Store store) {
        this(store, false);
    }

    /**
     * @param skipInvalid skip malformed records (listing them in {@link #skipped()}) instead of stopping: for
     *                    real data with a few known-bad rows, e.g. HH-RLHF's empty assistant turns
     */
    public Importer(Store store, boolean skipInvalid) {
        this.store = store;
        this.skipInvalid = skipInvalid;
    }

    /**
     * Shows a progress bar on stderr (bytes of each file read) for files of at least {@code minBytes}; off
     * unless asked for, and silenced by {@code HERD_PROGRESS=0}.
     */
    public Importer withProgress(long minBytes) {
        this.progressMinBytes = minBytes;
        return this;
    }

    /**
     * How many imported records needed what, e.g. "with an empty response": rows that are real data but unusual,
     * counted for the summary rather than refused.
     */
    public java.util.Map<String, Long> notes() {
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        notes.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The records skipped so far, each as the one-line reason (file:line: what). */
    public List<String> skipped() {
        return skipped;
    }

    /** Imports every file; returns the rows added. */
    public long importFiles(Kind kind, List<Path> files) {
        return store.inTransaction(() -> {
            long total = 0;
            try (RowWriter writer = RowWriter.open(store, kind.table)) {
                for (Path file : files) {
                    if (!Files.exists(file)) {
                        throw new HerdInputException(file + ": no such file");
                    }
                    long importId = store.nextId("imports");
                    store.update("INSERT INTO imports (id, path, kind, format) VALUES (?, ?, ?, ?)", importId,
                            file.toString(), kind.name().toLowerCase(), isParquet(file) ? "parquet" : "jsonl");
                    long n = importOne(kind, file, writer, importId);
                    store.update("UPDATE imports SET rows = ? WHERE id = ?", n, importId);
                    total += n;
                }
            }
            return total;
        });
    }

    static boolean isParquet(Path file) {
        return file.getFileName().toString().toLowerCase().endsWith(".parquet");
    }

    /** A batch of checked rows, or the error that ended the file, or its end. */
    private record Batch(List<Object> rows, RuntimeException error, boolean end) {}

    private long importOne(Kind kind, Path file, RowWriter writer, long importId) throws Exception {
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(8);
        Thread producer = new Thread(() -> {
            try {
                if (isParquet(file)) {   // decoded to JSONL by DuckDB, then checked like JSONL
                    parquet(kind, file, queue);
                } else {
                    jsonl(kind, file, queue);
                }
                queue.put(new Batch(List.of(), null, true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                offer(queue, new Batch(List.of(), e, true));
            } catch (Exception e) {
                offer(queue, new Batch(List.of(), new IllegalStateException(e), true));
            }
        }, "herd-import-reader");
        producer.setDaemon(true);
        producer.start();
        long n = 0;
        try {
            while (true) {
                Batch b = queue.take();
                for (Object row : b.rows()) {
                    write(row, writer, importId);
                    n++;
                }
                if (b.error() != null) {
                    throw b.error();
                }
                if (b.end()) {
                    return n;
                }
            }
        } finally {
            producer.interrupt();
            producer.join();
        }
    }

    private static void offer(BlockingQueue<Batch> queue, Batch b) {
        try {
            queue.put(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void jsonl(Kind kind, Path file, BlockingQueue<Batch> queue) throws IOException, InterruptedException {
        lines(kind, file, file + ":", file.getFileName().toString(), queue);
    }

    /** Checks each line of {@code file}; errors name the line as {@code place + lineNumber}. */
    private void lines(Kind kind, Path file, String place, String label, BlockingQueue<Batch> queue)
            throws IOException, InterruptedException {
        List<Object> rows = new ArrayList<>(BATCH);
        long size = Files.size(file);
        long lineNo = 0;
        try (CountingInputStream counted = new CountingInputStream(Files.newInputStream(file));
             InputStream raw = open(file, counted);
             BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8), 1 << 16);
             Progress bar = size >= progressMinBytes ? Progress.of("import " + label, size) : null) {
            String line;
            while ((line = readLine(in, place, lineNo + 1)) != null) {
                if (bar != null && (lineNo & 0xfff) == 0) {
                    bar.stepTo(counted.count);
                }
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                Object row = check(kind, place + lineNo, line);
                if (row != null) {
                    rows.add(row);
                }
                if (rows.size() == BATCH) {
                    queue.put(new Batch(rows, null, false));
                    rows = new ArrayList<>(BATCH);
                }
            }
            if (bar != null) {
                bar.stepTo(size);
            }
        }
        queue.put(new Batch(rows, null, false));
    }

    /** A line, or a one-line error naming where reading failed (a truncated .gz, an unreadable disk). */
    private static String readLine(BufferedReader in, String place, long lineNo) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new HerdInputException(place + lineNo + ": cannot read: " + e.getMessage());
        }
    }

    /**
     * Parquet is decoded by DuckDB itself (multi-threaded, on a second connection) into a temporary JSONL file,
     * row order kept, which then goes through the same checks; row N of the file is line N.
     */
    private void parquet(Kind kind, Path file, BlockingQueue<Batch> queue) throws Exception {
        Path tmp = Files.createTempFile("herd-import-", ".jsonl");
        try {
            try (Connection reader = store.duck().duplicate();
                 java.sql.Statement st = reader.createStatement()) {
                st.execute("COPY (SELECT * FROM read_parquet('" + file.toString().replace("'", "''") + "')) TO '"
                        + tmp.toString().replace("'", "''") + "' (FORMAT JSON)");
            } catch (SQLException e) {
                throw new HerdInputException(file + ": not a readable Parquet file: " + Store.firstLine(e.getMessage()));
            }
            lines(kind, tmp, file + ": row ", file.getFileName().toString(), queue);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The checked row of one record, or null when it was malformed and is skipped. */
    private Object check(Kind kind, String where, String json) {
        try {
            JsonNode node;
            try {
                node = READER.readTree(json);
            } catch (JsonProcessingException e) {
                throw new HerdInputException(where + ": bad JSON: " + e.getOriginalMessage());
            }
            RecordParser parser = new RecordParser(where);
            Object row = switch (kind) {
                case SFT -> parser.sft(node);
                case PREFERENCE -> parser.preference(node);
                case PROMPTS -> parser.prompt(node);
            };
            parser.notes().forEach(n -> notes.computeIfAbsent(n, k -> new java.util.concurrent.atomic.LongAdder()).increment());
            return row;
        } catch (HerdInputException e) {
            if (!skipInvalid) {
                throw e;
            }
            skipped.add(e.getMessage());
            return null;
        }
    }

    private static InputStream open(Path file, InputStream in) throws IOException {
        if (!file.getFileName().toString().endsWith(".gz")) {
            return in;
        }
        try {
            return new GZIPInputStream(in, 1 << 16);
        } catch (java.util.zip.ZipException e) {
            throw new HerdInputException(file + ": not a gzip file: " + e.getMessage());
        }
    }

    /** Counts the (compressed) bytes read, for the progress bar. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;   // read by the thread that reads the stream

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    private static void write(Object row, RowWriter writer, long importId) throws SQLException {
        if (row instanceof SftExample e) {
            writer.sft(e, importId, null);
        } else if (row instanceof Preference p) {
            writer.preference(p, importId, null);
        } else {
            writer.prompt((PromptRow) row, importId);
        }
    }
}
