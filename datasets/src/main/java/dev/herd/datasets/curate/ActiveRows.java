package dev.herd.datasets.curate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.Store;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Loads the rows a step looks at and marks the ones it drops, in bulk. */
final class ActiveRows {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An SFT row as curation sees it. */
    record SftRow(long id, String response, String conversation, String promptKey, String topic, Double score,
                  Long sampleId) {}

    /** A row as dedup compares it: its text and the score that decides which member of a cluster stays. */
    record Text(long id, String text, Double score) {}

    private ActiveRows() {}

    /** Active prompts as text: a text prompt as it is, a conversation as "role: content" lines. */
    static List<Text> prompts(Store store, String where) throws SQLException {
        List<Text> out = new ArrayList<>();
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT id, prompt, messages FROM prompts WHERE removed_by IS NULL"
                     + CurationStep.and(where) + " ORDER BY id")) {
            while (rs.next()) {
                String text = rs.getString(2);
                if (text == null) {
                    StringBuilder sb = new StringBuilder();
                    try {
                        for (JsonNode m : JSON.readTree(rs.getString(3))) {
                            sb.append(m.path("role").asText()).append(": ").append(m.path("content").asText("")).append('\n');
                        }
                    } catch (Exception e) {
                        throw new SQLException("prompt row " + rs.getLong(1) + " has unreadable messages");
                    }
                    text = sb.toString();
                }
                out.add(new Text(rs.getLong(1), text, null));
            }
        }
        return out;
    }

    static List<SftRow> sft(Store store, String where) throws SQLException {
        List<SftRow> out = new ArrayList<>();
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT id, messages, topic, score, sample_id FROM sft "
                     + "WHERE removed_by IS NULL" + CurationStep.and(where) + " ORDER BY id")) {
            while (rs.next()) {
                JsonNode messages;
                try {
                    messages = JSON.readTree(rs.getString(2));
                } catch (Exception e) {
                    throw new SQLException("sft row " + rs.getLong(1) + " has unreadable messages");
                }
                int lastAssistant = -1;
                for (int i = 0; i < messages.size(); i++) {
                    if ("assistant".equals(messages.get(i).path("role").asText())) {
                        lastAssistant = i;
                    }
                }
                StringBuilder convo = new StringBuilder();
                StringBuilder prompt = new StringBuilder();
                for (int i = 0; i < messages.size(); i++) {
                    String line = messages.get(i).path("role").asText() + ": " + messages.get(i).path("content").asText("") + "\n";
                    convo.append(line);
                    if (i < lastAssistant) {
                        prompt.append(line);
                    }
                }
                String response = lastAssistant < 0 ? "" : messages.get(lastAssistant).path("content").asText("");
                out.add(new SftRow(rs.getLong(1), response, convo.toString(), prompt.toString(), rs.getString(3),
                        (Double) rs.getObject(4), (Long) rs.getObject(5)));
            }
        }
        return out;
    }

    /** Sets {@code removed_by} of the given ids of {@code table} (only rows still active). */
    static long remove(Store store, String table, Map<Long, String> reasons) throws SQLException {
        if (reasons.isEmpty()) {
            return 0;
        }
        try (Statement st = store.connection().createStatement()) {
            st.execute("CREATE OR REPLACE TABLE herd_removed (id BIGINT, reason VARCHAR)");
        }
        try (org.duckdb.DuckDBAppender a = ((org.duckdb.DuckDBConnection) store.connection()).createAppender("main", "herd_removed")) {
            for (Map.Entry<Long, String> e : reasons.entrySet()) {
                a.beginRow();
                a.append(e.getKey().longValue());
                a.append(e.getValue());
                a.endRow();
            }
        }
        long n = store.update("UPDATE " + table + " SET removed_by = r.reason FROM herd_removed r WHERE "
                + table + ".id = r.id AND " + table + ".removed_by IS NULL");
        try (Statement st = store.connection().createStatement()) {
            st.execute("DROP TABLE herd_removed");
        }
        return n;
    }
}
