package dev.herd.evals;

import dev.herd.datasets.Store;
import dev.herd.common.HerdInputException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/** Evaluation runs in the project's store: scores with intervals, and item-level outcomes for comparisons. */
public final class EvalResults {

    private final Store store;

    public EvalResults(Store store) {
        this.store = store;
    }

    /** Stores a run's results; returns its id. */
    public long save(String model, List<TaskResult> results, String configJson) {
        return store.inTransaction(() -> {
            long id = store.count("SELECT coalesce(max(id), 0) + 1 FROM eval_runs");
            List<String> tasks = results.stream().map(TaskResult::task).toList();
            store.update("INSERT INTO eval_runs (id, model, tasks, config) VALUES (?, ?, ?, ?)", id, model,
                    String.join(",", tasks), configJson);
            DuckDBConnection c = (DuckDBConnection) store.connection();
            try (DuckDBAppender scores = c.createAppender("main", "eval_scores");
                 DuckDBAppender items = c.createAppender("main", "eval_items")) {
                for (TaskResult r : results) {
                    for (Map.Entry<String, Confidence.Interval> m : r.metrics().entrySet()) {
                        Confidence.Interval ci = m.getValue();
                        scores.beginRow();
                        scores.append(id);
                        scores.append(r.task());
                        scores.append(m.getKey());
                        scores.append(ci.score());
                        scores.append(ci.n());
                        scores.append(ci.low());
                        scores.append(ci.high());
                        scores.append(ci.stderr());
                        scores.endRow();
                    }
                    for (TaskResult.ItemOutcome o : r.items()) {
                        for (Map.Entry<String, Double> v : o.values().entrySet()) {
                            items.beginRow();
                            items.append(id);
                            items.append(r.task());
                            items.append(o.id());
                            items.append(v.getKey());
                            items.append(v.getValue());
                            items.append(o.response());
                            items.endRow();
                        }
                    }
                }
            }
            return id;
        });
    }

    /** Item values of a run for one task and metric, by item id. */
    public Map<String, Double> items(long run, String task, String metric) {
        Map<String, Double> out = new LinkedHashMap<>();
        try (PreparedStatement ps = store.connection().prepareStatement(
                "SELECT item_id, value FROM eval_items WHERE run_id = ? AND task = ? AND metric = ? ORDER BY item_id")) {
            ps.setLong(1, run);
            ps.setString(2, task);
            ps.setString(3, metric);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getDouble(2));
                }
            }
        } catch (SQLException e) {
            throw new HerdInputException("reading eval items: " + e.getMessage());
        }
        return out;
    }

    /** (task, metric) pairs a run has. */
    public List<String[]> metrics(long run) {
        List<String[]> out = new ArrayList<>();
        try (PreparedStatement ps = store.connection().prepareStatement(
                "SELECT task, metric FROM eval_scores WHERE run_id = ? ORDER BY task, metric")) {
            ps.setLong(1, run);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        } catch (SQLException e) {
            throw new HerdInputException("reading eval scores: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new HerdInputException(store.file() + ": no eval run " + run);
        }
        return out;
    }
}
