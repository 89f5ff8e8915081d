package dev.herd.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.herd.llama.HerdInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Imports JSONL ({@code .jsonl}, {@code .json} lines, gzipped or not) and Parquet files in Hugging Face
 * column layouts. A whole call is one transaction: the first malformed record stops it with the file and line
 * (row, for Parquet) and nothing of the call is kept.
 */
public final class Importer {

    private static final ObjectReader READER = Json.MAPPER.reader();

    private final Store store;
    private final boolean skipInvalid;
    private final List<String> skipped = new java.util.ArrayList<>();

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
                    long importId = store.nextId("imports");
                    store.update("INSERT INTO imports (id, path, kind, format) VALUES (?, ?, ?, ?)", importId,
                            file.toString(), kind.name().toLowerCase(), isParquet(file) ? "parquet" : "jsonl");
                    long n = isParquet(file) ? parquet(kind, file, writer, importId) : jsonl(kind, file, writer, importId);
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

    private long jsonl(Kind kind, Path file, RowWriter writer, long importId) throws IOException, SQLException {
        long n = 0;
        try (InputStream raw = open(file);
             BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            long lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode node;
                    try {
                        node = READER.readTree(line);
                    } catch (JsonProcessingException e) {
                        throw new HerdInputException(file + ":" + lineNo + ": bad JSON: " + e.getOriginalMessage());
                    }
                    write(kind, new RecordParser(file + ":" + lineNo), node, writer, importId);
                    n++;
                } catch (HerdInputException e) {
                    skipOrThrow(e);
                }
            }
        }
        return n;
    }

    private static InputStream open(Path file) throws IOException {
        try {
            InputStream in = Files.newInputStream(file);
            return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
        } catch (NoSuchFileException e) {
            throw new HerdInputException(file + ": no such file");
        }
    }

    /** Parquet is read by DuckDB itself; each row comes back as JSON and goes through the same checks. */
    private long parquet(Kind kind, Path file, RowWriter writer, long importId) throws SQLException {
        if (!Files.exists(file)) {
            throw new HerdInputException(file + ": no such file");
        }
        long n = 0;
        long row = 0;
        try (PreparedStatement ps = store.connection().prepareStatement("SELECT to_json(t)::VARCHAR FROM read_parquet(?) t")) {
            ps.setString(1, file.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    row++;
                    try {
                        JsonNode node;
                        try {
                            node = READER.readTree(rs.getString(1));
                        } catch (JsonProcessingException e) {
                            throw new HerdInputException(file + ": row " + row + ": unreadable: " + e.getOriginalMessage());
                        }
                        write(kind, new RecordParser(file + ": row " + row), node, writer, importId);
                        n++;
                    } catch (HerdInputException e) {
                        skipOrThrow(e);
                    }
                }
            }
        } catch (SQLException e) {
            if (e.getMessage() != null && e.getMessage().contains("parquet")) {
                throw new HerdInputException(file + ": not a readable Parquet file: " + Store.firstLine(e.getMessage()));
            }
            throw e;
        }
        return n;
    }

    private void skipOrThrow(HerdInputException e) {
        if (!skipInvalid) {
            throw e;
        }
        skipped.add(e.getMessage());
    }

    private static void write(Kind kind, RecordParser parser, JsonNode node, RowWriter writer, long importId)
            throws SQLException {
        switch (kind) {
            case SFT -> writer.sft(parser.sft(node), importId, null);
            case PREFERENCE -> writer.preference(parser.preference(node), importId, null);
            case PROMPTS -> writer.prompt(parser.prompt(node), importId);
        }
    }
}
