package dev.herd.datasets.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Store;
import dev.herd.common.HerdInputException;
import java.io.PrintStream;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Prints a query's result as an aligned text table for people, or as a JSON list of objects for scripts. */
final class TablePrinter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CELL = 80;

    private TablePrinter() {}

    static void print(Store store, String sql, boolean json, PrintStream out) {
        try (Statement st = store.connection().createStatement()) {
            if (!st.execute(sql)) {   // an UPDATE, DELETE, CREATE …: say how many rows it changed
                long n = st.getUpdateCount();
                out.println(json ? "{\"changed\": " + Math.max(n, 0) + "}" : n < 0 ? "ok" : "(" + n + " row" + (n == 1 ? "" : "s") + " changed)");
                return;
            }
            try (ResultSet rs = st.getResultSet()) {
                table(rs, json, out);
            }
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
    }

    /** A query's rows as a JSON list of objects. */
    static ArrayNode json(Store store, String sql) {
        try (Statement st = store.connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return jsonRows(rs);
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
    }

    private static ArrayNode jsonRows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        ArrayNode arr = JSON.createArrayNode();
        while (rs.next()) {
            ObjectNode o = arr.addObject();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                o.set(md.getColumnLabel(i), JSON.valueToTree(jsonValue(rs.getObject(i), md.getColumnTypeName(i))));
            }
        }
        return arr;
    }

    private static void table(ResultSet rs, boolean json, PrintStream out) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            names.add(md.getColumnLabel(i));
        }
        if (json) {
            out.println(jsonRows(rs));
            return;
        }
        List<String[]> rows = new ArrayList<>();
        int[] width = names.stream().mapToInt(String::length).toArray();
        while (rs.next()) {
            String[] row = new String[n];
            for (int i = 1; i <= n; i++) {
                Object v = rs.getObject(i);
                String s = v == null ? "NULL" : v.toString().replace("\n", "\\n");
                row[i - 1] = s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 1) + "…" : s;
                width[i - 1] = Math.max(width[i - 1], row[i - 1].length());
            }
            rows.add(row);
        }
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < n; i++) {
            line.append(i == 0 ? "" : " | ").append(pad(names.get(i), width[i]));
        }
        out.println(line);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < n; i++) {
            rule.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
        }
        out.println(rule);
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : " | ").append(pad(r[i], width[i]));
            }
            out.println(sb);
        }
        out.println("(" + rows.size() + " row" + (rows.size() == 1 ? "" : "s") + ")");
    }

    /**
     * A cell as JSON: JSON columns embedded as JSON (not as strings), lists and structs as arrays and
     * objects, times as ISO text, other text as strings even when it looks like JSON.
     */
    static Object jsonValue(Object v, String type) throws SQLException {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String && !"JSON".equals(type)) {
            return v;
        }
        if ("JSON".equals(type) || v instanceof org.duckdb.JsonNode) {
            try {
                return JSON.readTree(v.toString());
            } catch (Exception e) {
                return v.toString();
            }
        }
        if (v instanceof java.sql.Timestamp t) {
            return t.toLocalDateTime().toString();
        }
        if (v instanceof java.sql.Array a) {
            List<Object> out = new ArrayList<>();
            for (Object e : (Object[]) a.getArray()) {
                out.add(jsonValue(e, null));
            }
            return out;
        }
        if (v instanceof java.sql.Struct st) {
            return jsonValue(((org.duckdb.DuckDBStruct) st).getMap(), null);
        }
        if (v instanceof java.util.Map<?, ?> m) {
            java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
            for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
                out.put(String.valueOf(e.getKey()), jsonValue(e.getValue(), null));
            }
            return out;
        }
        return v.toString();
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(Math.max(0, w - s.length()));
    }
}
