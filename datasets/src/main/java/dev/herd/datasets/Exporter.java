package dev.herd.datasets;

import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Exports a table in Hugging Face column layouts with DuckDB's own writers ({@code COPY … TO}): JSONL, one
 * object per line, or Parquet. Written to a temporary file and renamed. What {@link Importer} reads back is
 * the same rows.
 *
 * <ul>
 *   <li>sft: {@code messages} (role/content list) + origin, round, source, topic, difficulty, split, score;</li>
 *   <li>preference: {@code prompt} (message list), {@code chosen}, {@code rejected}, {@code edited}
 *       (strings), {@code strength}, source, round, split;</li>
 *   <li>prompts: {@code prompt} or {@code messages}, source, topic, difficulty, split, answer, verifier, solution.</li>
 * </ul>
 * In Parquet, message lists are lists of {@code {role, content, tool_calls}} structs as HF datasets store them;
 * {@code tool_calls} is a JSON-typed string there (its shape varies between tools), null when absent.
 */
public final class Exporter {

    private final Store store;

    public Exporter(Store store) {
        this.store = store;
    }

    /** Writes the rows of {@code kind} matching {@code where} (SQL, may be null); returns how many. */
    public long export(Kind kind, String format, Path out, String where) {
        boolean parquet = switch (format.toLowerCase(java.util.Locale.ROOT)) {
            case "jsonl", "json" -> false;
            case "parquet" -> true;
            default -> throw new HerdInputException("--format must be jsonl or parquet, got " + format);
        };
        String select = "SELECT " + columns(kind, parquet) + " FROM " + kind.table + " WHERE removed_by IS NULL"
                + (where == null || where.isBlank() ? "" : " AND (" + where + ")") + " ORDER BY id";
        long n = store.count("SELECT count(*) FROM (" + select + ")");
        try {
            Path abs = out.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            try (Statement st = store.connection().createStatement()) {
                st.execute("COPY (" + select + ") TO '" + tmp.toString().replace("'", "''") + "' (FORMAT "
                        + (parquet ? "PARQUET" : "JSON") + ")");
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (SQLException e) {
            throw new HerdInputException("export failed: " + Store.firstLine(e.getMessage()));
        } catch (IOException e) {
            throw new HerdInputException(out + ": cannot write: " + e.getMessage());
        }
        return n;
    }

    private static String columns(Kind kind, boolean parquet) {
        return switch (kind) {
            case SFT -> messages("messages", parquet) + " AS messages, origin, round, source, topic, difficulty, split, score";
            case PREFERENCE -> messages("prompt", parquet)
                    + " AS prompt, chosen, rejected, edited, strength, source, round, split";
            case PROMPTS -> "prompt, " + messages("messages", parquet)
                    + " AS messages, source, topic, difficulty, split, answer, verifier, solution";
        };
    }

    private static String messages(String col, boolean parquet) {
        return parquet ? "from_json(" + col + ", '[{\"role\":\"VARCHAR\",\"content\":\"VARCHAR\",\"tool_calls\":\"JSON\"}]')"
                : col + "::JSON";
    }
}
