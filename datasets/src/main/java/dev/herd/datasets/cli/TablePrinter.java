package dev.herd.datasets.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Store;
import dev.herd.llama.HerdInputException;
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
        try (Statement st = store.connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                names.add(md.getColumnLabel(i));
            }
            if (json) {
                ArrayNode arr = JSON.createArrayNode();
                while (rs.next()) {
                    ObjectNode o = arr.addObject();
                    for (int i = 1; i <= n; i++) {
                        o.set(names.get(i - 1), JSON.valueToTree(jsonValue(rs.getObject(i))));
                    }
                }
                out.println(arr);
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
        } catch (SQLException e) {
            throw new HerdInputException("SQL error: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
    }

    /** JSON columns come back as text: embed them as JSON, not as strings. */
    private static Object jsonValue(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean) {
            return v;
        }
        String s = v.toString();   // JSON columns arrive as DuckDB's own JSON objects or as text
        if (s.startsWith("[") || s.startsWith("{")) {
            try {
                return JSON.readTree(s);
            } catch (Exception e) {
                return s;
            }
        }
        return s;
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(Math.max(0, w - s.length()));
    }
}
