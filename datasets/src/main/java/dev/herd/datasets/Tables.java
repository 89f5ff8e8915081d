package dev.herd.datasets;

import dev.herd.common.HerdInputException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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

    /** Runs matching {@code where} (SQL over the runs columns, may be null), oldest first. */
    public List<RunRow> runs(String where) {
        return query("SELECT id, round, stage, name, config, inputs, output, metrics, status FROM runs", where,
                rs -> new RunRow(rs.getLong(1), (Integer) rs.getObject(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9)));
    }

    /** The last finished run of a stage in a round with this name, if any: what a resumed loop skips. */
    public Optional<RunRow> finishedRun(int round, String stage, String name) {
        return runs("status = 'done' AND round = " + round).stream()
                .filter(r -> r.stage().equals(stage) && r.name().equals(name))
                .reduce((first, second) -> second);
    }

    /**
     * Removes what an unfinished run wrote (its samples and their scores, its scores, SFT rows and rankings)
     * and marks it discarded, in one transaction: a killed stage can then be run again without duplicating
     * rows. Returns the rows removed.
     */
    public long discardRun(long runId) {
        return store.inTransaction(() -> {
            long n = store.update("DELETE FROM scores WHERE run_id = ? OR sample_id IN (SELECT id FROM samples WHERE run_id = ?)",
                    runId, runId);
            n += store.update("DELETE FROM sft WHERE run_id = ?", runId);
            n += store.update("DELETE FROM preferences WHERE run_id = ?", runId);
            n += store.update("DELETE FROM samples WHERE run_id = ?", runId);
            store.update("UPDATE runs SET status = 'discarded', finished_at = current_timestamp WHERE id = ?", runId);
            return n;
        });
    }

    /** Starts round {@code round} from {@code policy} (again, if it was started before and not finished). */
    public void startRound(int round, String policy, String configJson) {
        store.inTransaction(() -> {
            if (store.count("SELECT count(*) FROM rounds WHERE round = ? AND status = 'done'", round) > 0) {
                throw new HerdInputException("round " + round + " is already finished in " + store.file());
            }
            // Updated in place rather than deleted and re-inserted: DuckDB refuses a primary key deleted and
            // inserted again in one transaction.
            if (store.update("UPDATE rounds SET policy = ?, config = ?, status = 'running', started_at = current_timestamp "
                    + "WHERE round = ?", policy, configJson, round) == 0) {
                store.update("INSERT INTO rounds (round, policy, status, config) VALUES (?, ?, 'running', ?)", round,
                        policy, configJson);
            }
            return null;
        });
    }

    public void finishRound(int round, String best, String metricsJson) {
        if (store.update("UPDATE rounds SET best = ?, metrics = ?, status = 'done', finished_at = current_timestamp "
                + "WHERE round = ?", best, metricsJson, round) != 1) {
            throw new IllegalStateException("round " + round + " was never started");
        }
    }

    /** Every round, in order. */
    public List<RoundRow> rounds() {
        List<RoundRow> out = new ArrayList<>();
        for (List<Object> r : rows("SELECT round, policy, best, status, config::VARCHAR, metrics::VARCHAR FROM rounds ORDER BY round")) {
            out.add(new RoundRow(((Number) r.get(0)).intValue(), (String) r.get(1), (String) r.get(2), (String) r.get(3),
                    (String) r.get(4), (String) r.get(5)));
        }
        return out;
    }

    public List<PromptRow> prompts(String where) {
        return query("SELECT id, prompt, messages, source, topic, difficulty, split, answer, verifier, solution FROM prompts", where,
                rs -> new PromptRow(rs.getLong(1), rs.getString(2), Json.messages(rs.getString(3)), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10)));
    }

    public List<SampleRow> samples(String where) {
        return query("SELECT id, prompt_id, response, model, round, system_prompt, params, run_id FROM samples", where,
                rs -> new SampleRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        (Integer) rs.getObject(5), rs.getString(6), rs.getString(7), (Long) rs.getObject(8)));
    }

    /** Scores matching {@code where} (SQL over sample_id, scorer, value, run_id), in sample order. */
    public List<Score> scores(String where) {
        String sql = "SELECT sample_id, scorer, value, run_id FROM scores"
                + (where == null || where.isBlank() ? "" : " WHERE (" + where + ")") + " ORDER BY sample_id, scorer";
        List<Score> out = new ArrayList<>();
        for (List<Object> r : rows(sql)) {
            out.add(new Score(((Number) r.get(0)).longValue(), (String) r.get(1), ((Number) r.get(2)).doubleValue(),
                    r.get(3) == null ? null : ((Number) r.get(3)).longValue()));
        }
        return out;
    }

    /**
     * Rejection sampling's pick: for each prompt, its sample with the highest {@code scorer} value (ties: the
     * earliest sample), among the samples matching {@code where} (SQL over the samples columns, may be null).
     * Samples without a score from {@code scorer} are not candidates. Ordered by prompt.
     */
    public List<ScoredSample> bestSamples(String scorer, String where) {
        String sql = "SELECT s.id, s.prompt_id, s.response, s.model, s.round, s.system_prompt, s.params, s.run_id, v.value "
                + "FROM (SELECT * FROM samples" + (where == null || where.isBlank() ? "" : " WHERE (" + where + ")") + ") s "
                + "JOIN (SELECT sample_id, max(value) AS value FROM scores WHERE scorer = ? GROUP BY sample_id) v "
                + "ON v.sample_id = s.id "
                + "QUALIFY row_number() OVER (PARTITION BY s.prompt_id ORDER BY v.value DESC, s.id) = 1 ORDER BY s.prompt_id";
        try (PreparedStatement ps = store.connection().prepareStatement(sql)) {
            ps.setString(1, scorer);
            List<ScoredSample> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ScoredSample(new SampleRow(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                            (Integer) rs.getObject(5), rs.getString(6), rs.getString(7), (Long) rs.getObject(8)),
                            rs.getDouble(9)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new HerdInputException("query failed (" + (where == null ? "" : "where " + where + ": ")
                    + Store.firstLine(e.getMessage()) + ")");
        }
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
        return select.endsWith("FROM samples") || select.endsWith("FROM runs") ? "true" : "removed_by IS NULL";
    }



    /** Rows a query returns, for callers that need raw SQL (e.g. {@code db:QUERY} data arguments). */
    public List<List<Object>> rows(String sql) {
        return rows(sql, new Object[0]);
    }

    /** Rows of a query whose {@code ?} placeholders take {@code args}, in order (values never spliced into SQL). */
    public List<List<Object>> rows(String sql, Object... args) {
        try (PreparedStatement ps = store.connection().prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return read(ps);
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + Store.firstLine(e.getMessage()));
        }
    }

    private static List<List<Object>> read(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
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
        }
    }
}
