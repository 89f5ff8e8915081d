package dev.herd.datasets;

import java.sql.SQLException;
import java.time.LocalDateTime;
import org.duckdb.DuckDBAppender;

/**
 * Appends rows through DuckDB's appender (columnar, no per-row SQL). Callers hold a transaction open
 * ({@link Store#inTransaction}) so a batch is kept whole or not at all.
 */
final class RowWriter implements AutoCloseable {

    private final DuckDBAppender appender;
    private long next;

    private RowWriter(DuckDBAppender appender, long next) {
        this.appender = appender;
        this.next = next;
    }

    static RowWriter open(Store store, String table) throws SQLException {
        long next = table.equals("scores") ? 0 : store.nextId(table);   // scores have no id of their own
        return new RowWriter(store.duck().createAppender("main", table), next);
    }

    /** Appends a prompt and returns its id. */
    long prompt(PromptRow p, Long importId) throws SQLException {
        long id = next++;
        appender.beginRow();
        appender.append(id);
        appender.append(p.prompt());
        appender.append(p.messages() == null ? null : Json.write(p.messages()));
        appender.append(p.source());
        appender.append(p.topic());
        appender.append(p.difficulty());
        appender.append((String) null);
        appender.append(p.split());
        appendLong(importId);
        appender.append((String) null);
        appender.append(p.answer());                          // added in schema v4, so after removed_by
        appender.append(p.verifier());
        appender.append(p.solution());                        // schema v5
        appender.endRow();
        return id;
    }

    long sample(SampleRow s) throws SQLException {
        long id = next++;
        appender.beginRow();
        appender.append(id);
        appender.append(s.promptId());
        appender.append(s.response());
        appender.append(s.model());
        appendInt(s.round());
        appender.append(s.systemPrompt());
        appender.append(s.params());
        appendLong(s.runId());
        appender.appendLocalDateTime(LocalDateTime.now());
        appender.endRow();
        return id;
    }

    void score(long sampleId, String scorer, double value, Long runId) throws SQLException {
        appender.beginRow();
        appender.append(sampleId);
        appender.append(scorer);
        appender.append(value);
        appendLong(runId);
        appender.endRow();
    }

    long preference(Preference p, Long importId, Long runId) throws SQLException {
        long id = next++;
        appender.beginRow();
        appender.append(id);
        appender.append(Json.write(p.prompt()));
        appender.append(p.chosen());
        appender.append(p.rejected());
        appender.append(p.edited());
        appender.append(p.strength() == null ? null : p.strength().label);
        appender.append(p.source());
        appendInt(p.round());
        appender.append(p.split());
        appendLong(importId);
        appendLong(runId);
        appender.append((String) null);
        appender.endRow();
        return id;
    }

    long sft(SftExample e, Long importId, Long runId) throws SQLException {
        long id = next++;
        appender.beginRow();
        appender.append(id);
        appender.append(Json.write(e.messages()));
        appender.append(e.origin());
        appendInt(e.round());
        appender.append(e.source());
        appender.append(e.topic());
        appender.append(e.difficulty());
        appender.append((String) null);
        appender.append(e.split());
        if (e.score() == null) {
            appender.append((String) null);
        } else {
            appender.append(e.score().doubleValue());
        }
        appendLong(e.sampleId());
        appendLong(importId);
        appendLong(runId);
        appender.append((String) null);
        appender.endRow();
        return id;
    }

    private void appendInt(Integer v) throws SQLException {
        if (v == null) {
            appender.append((String) null);
        } else {
            appender.append(v.intValue());
        }
    }

    private void appendLong(Long v) throws SQLException {
        if (v == null) {
            appender.append((String) null);
        } else {
            appender.append(v.longValue());
        }
    }

    @Override
    public void close() throws SQLException {
        appender.close();
    }
}
