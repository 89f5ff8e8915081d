package dev.herd.datasets;

import dev.herd.common.HerdInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.duckdb.DuckDBConnection;

/**
 * A project's DuckDB database: prompts, samples, scores, preference rankings, SFT examples, runs and rounds,
 * in one file that any DuckDB client can query.
 */
public final class Store implements AutoCloseable {

    private final Path file;
    private final DuckDBConnection conn;
    /** How deep in {@link #inTransaction} calls we are; 0 outside any. */
    private int depth;

    private Store(Path file, DuckDBConnection conn) {
        this.file = file;
        this.conn = conn;
    }

    /** Opens (creating if needed) the store at {@code file}, migrating an older schema. */
    public static Store open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Class.forName("org.duckdb.DuckDBDriver");
            DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath());
            Store s = new Store(file, c);
            s.migrate();
            return s;
        } catch (SQLException e) {
            throw new HerdInputException(file + ": cannot open as a DuckDB store: " + firstLine(e.getMessage()));
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens an existing store only. */
    public static Store openExisting(Path file) {
        if (!Files.exists(file)) {
            throw new HerdInputException(file + ": no such store (create one with herd data import)");
        }
        return open(file);
    }

    public Path file() {
        return file;
    }

    public Connection connection() {
        return conn;
    }

    DuckDBConnection duck() {
        return conn;
    }

    /** The schema version of this store. */
    public int version() {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT value FROM herd_meta WHERE key = 'schema_version'")) {
            return rs.next() ? Integer.parseInt(rs.getString(1)) : 0;
        } catch (SQLException e) {
            return 0;
        }
    }

    private void migrate() throws SQLException {
        int have = tableExists("herd_meta") ? version() : 0;
        if (have == 0 && hasUserTables()) {
            throw new HerdInputException(file + ": a DuckDB database but not a Herd store (no herd_meta table)");
        }
        if (have > Schema.VERSION) {
            throw new HerdInputException(file + ": made by a newer Herd (store schema v" + have
                    + "); this Herd reads up to v" + Schema.VERSION);
        }
        if (have == Schema.VERSION) {
            return;
        }
        inTransaction(() -> {
            try (Statement st = conn.createStatement()) {
                for (int v = have; v < Schema.VERSION; v++) {
                    st.execute(Schema.MIGRATIONS.get(v));
                }
                st.execute("INSERT OR REPLACE INTO herd_meta VALUES ('schema_version', '" + Schema.VERSION + "')");
            }
            return null;
        });
    }

    private boolean tableExists(String name) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    private boolean hasUserTables() throws SQLException {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    /** Work that must happen entirely or not at all. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back (nothing kept) if it throws.
     * Nested calls join the outermost transaction, so a caller can make several batch writes (samples, their
     * scores, the run's end) one unit.
     */
    public synchronized <T> T inTransaction(Work<T> work) {
        if (depth > 0) {
            depth++;
            try {
                return work.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                depth--;
            }
        }
        try {
            boolean auto = conn.getAutoCommit();
            conn.setAutoCommit(false);
            depth = 1;
            try {
                T result = work.run();
                conn.commit();
                return result;
            } catch (Exception e) {
                conn.rollback();
                if (e instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(e);
            } finally {
                depth = 0;
                conn.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in a transaction that is always rolled back: to see what it would do. */
    public synchronized <T> T rolledBack(Work<T> work) {
        if (depth > 0) {
            throw new IllegalStateException("a dry run cannot be nested in a transaction");
        }
        try {
            boolean auto = conn.getAutoCommit();
            conn.setAutoCommit(false);
            depth = 1;   // writes inside join this transaction instead of committing
            try {
                return work.run();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                depth = 0;
                conn.rollback();
                conn.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store " + file + ": " + e.getMessage(), e);
        }
    }

    /** The next free id of {@code table} (single writer per store, so max + 1 is safe). */
    long nextId(String table) throws SQLException {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) + 1 FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs a statement that changes rows and returns how many. */
    public long update(String sql, Object... args) {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + firstLine(e.getMessage()));
        }
    }

    /** The single number a query returns. */
    public long count(String sql, Object... args) {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + firstLine(e.getMessage()));
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            // closing a read or committed connection loses nothing
        }
    }
}
