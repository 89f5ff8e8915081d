package dev.herd.datasets;

import dev.herd.llama.HerdInputException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The store's rows as Java records: what the stages write (samples, scores, SFT data, rankings, runs) and read
 * back for training. Each {@code add…} call is one transaction. {@code where} arguments are SQL conditions
 * over the table's columns (e.g. {@code "round = 2 AND origin = 'rejection_sampling'"}); rows that curation
 * removed are never returned.
 */
public final class Tables {

    private final Store store;

    public Tables(Store store) {
        this.store = store;
    }

    public Store store() {
        return store;
    }

    public List<Long> addPrompts(List<PromptRow> rows) {
        return store.inTransaction(() -> {
            List<Long> ids = new ArrayList<>();
            try (RowWriter w = RowWriter.open(store, "prompts")) {
                for (PromptRow r : rows) {
                    ids.add(w.prompt(r, null));
                }
            }
            return ids;
        });
    }

    public List<Long> addSamples(List<SampleRow> rows) {
        return store.inTransaction(() -> {
            List<Long> ids = new ArrayList<>();
            try (RowWriter w = RowWriter.open(store, "samples")) {
                for (SampleRow r : rows) {
                    ids.add(w.sample(r));
                }
            }
            return ids;
        });
    }

    public void addScores(List<Score> rows) {
        store.inTransaction(() -> {
            try (RowWriter w = RowWriter.open(store, "scores")) {
                for (Score s : rows) {
                    w.score(s.sampleId(), s.scorer(), s.value(), s.runId());
                }
            }
            return null;
        });
    }

    public List<Long> addPreferences(List<Preference> rows, Long runId) {
        return store.inTransaction(() -> {
            List<Long> ids = new ArrayList<>();
            try (RowWriter w = RowWriter.open(store, "preferences")) {
                for (Preference p : rows) {
                    ids.add(w.preference(p, null, runId));
                }
            }
            return ids;
        });
    }

    public List<Long> addSft(List<SftExample> rows, Long runId) {
        return store.inTransaction(() -> {
            List<Long> ids = new ArrayList<>();
            try (RowWriter w = RowWriter.open(store, "sft")) {
                for (SftExample e : rows) {
                    ids.add(w.sft(e, null, runId));
                }
            }
            return ids;
        });
    }

    /** Records the start of a stage run (what trained on what) and returns its id. */
    public long startRun(Integer round, String stage, String name, String configJson, String inputsJson) {
        return store.inTransaction(() -> {
            long id = store.nextId("runs");
            store.update("INSERT INTO runs (id, round, stage, name, config, inputs, status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
                    id, round, stage, name, configJson, inputsJson);
            return id;
        });
    }

    public void finishRun(long id, String output, String metricsJson, String status) {
        store.update("UPDATE runs SET output = ?, metrics = ?, status = ?, finished_at = current_timestamp WHERE id = ?",
                output, metricsJson, status, id);
    }

    public List<PromptRow> prompts(String where) {
        return query("SELECT id, prompt, messages, source, topic, difficulty, split FROM prompts", where,
                rs -> new PromptRow(rs.getLong(1), rs.getString(2), Json.messages(rs.getString(3)), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7)));
    }

    public List<SampleRow> samples(String where) {
        return query("SELECT id, prompt_id, response, model, round, system_prompt, params, run_id FROM samples", where,
                rs -> new SampleRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        (Integer) rs.getObject(5), rs.getString(6), rs.getString(7), (Long) rs.getObject(8)));
    }

    public List<Preference> preferences(String where) {
        return query("SELECT id, prompt, chosen, rejected, edited, strength, source, round, split FROM preferences", where,
                rs -> new Preference(rs.getLong(1), Json.messages(rs.getString(2)), rs.getString(3), rs.getString(4),
                        rs.getString(5), Strength.parse(rs.getString(6)), rs.getString(7), (Integer) rs.getObject(8),
                        rs.getString(9)));
    }

    public List<SftExample> sft(String where) {
        return query("SELECT id, messages, origin, round, source, topic, difficulty, split, score, sample_id FROM sft", where,
                rs -> new SftExample(rs.getLong(1), Json.messages(rs.getString(2)), rs.getString(3),
                        (Integer) rs.getObject(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                        (Double) rs.getObject(9), (Long) rs.getObject(10)));
    }

    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String select, String where, RowMapper<T> mapper) {
        String sql = select + " WHERE " + activeCondition(select) + (where == null || where.isBlank() ? "" : " AND (" + where + ")")
                + " ORDER BY id";
        try (Statement st = store.connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(mapper.map(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new HerdInputException("query failed (" + (where == null ? "" : "where " + where + ": ")
                    + Store.firstLine(e.getMessage()) + ")");
        }
    }

    private static String activeCondition(String select) {
        return select.endsWith("FROM samples") ? "true" : "removed_by IS NULL";
    }

    /** Rows a query returns, for callers that need raw SQL (e.g. {@code db:QUERY} data arguments). */
    public List<List<Object>> rows(String sql) {
        try (PreparedStatement ps = store.connection().prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            List<List<Object>> out = new ArrayList<>();
            while (rs.next()) {
                List<Object> row = new ArrayList<>(n);
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getObject(i));
                }
                out.add(row);
            }
            return out;
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + Store.firstLine(e.getMessage()));
        }
    }
}
