package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.RunRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.function.Function;

/**
 * The loop's memory, kept in the store's {@code runs} table: every step is a run row keyed by (round, stage,
 * name), started before the work and marked done after it. A resumed loop skips done steps and starts again
 * any step that was running when the process died; steps that write rows do so in the same transaction that
 * marks them done, so a kill can never leave them half-stored or stored twice.
 *
 * <p>The store is opened per use, never held: the stage commands the loop runs open it themselves, and DuckDB
 * allows one writer.
 */
final class Ledger {

    static final ObjectMapper JSON = new ObjectMapper();
    private final Path db;

    Ledger(Path db) {
        this.db = db;
    }

    Path db() {
        return db;
    }

    <T> T with(Function<Store, T> work) {
        try (Store store = Store.open(db)) {
            return work.apply(store);
        }
    }

    /** The finished run of this step, or null when it still has to run. */
    RunRow done(int round, String stage, String name) {
        return with(s -> new Tables(s).finishedRun(round, stage, name).orElse(null));
    }

    /** Starts a step: an attempt left running by a killed process is discarded first. */
    long begin(int round, String stage, String name, JsonNode config) {
        return with(s -> {
            Tables t = new Tables(s);
            for (RunRow r : t.runs("status = 'running' AND round = " + round)) {
                if (r.stage().equals(stage) && r.name().equals(name)) {
                    t.discardRun(r.id());
                }
            }
            return t.startRun(round, stage, name, config == null ? null : config.toString(), null);
        });
    }

    /** Marks a step done inside the caller's transaction. */
    static void finish(Store s, long id, String output, JsonNode metrics) {
        new Tables(s).finishRun(id, output, metrics == null ? null : metrics.toString(), "done");
    }

    void fail(long id, String why) {
        with(s -> {
            new Tables(s).finishRun(id, null, JSON.createObjectNode().put("error", why).toString(), "failed");
            return null;
        });
    }

    static ObjectNode metrics(RunRow r) {
        return r == null ? JSON.createObjectNode() : object(r.metrics());
    }

    /** A JSON object column's value ({@code runs.metrics}, {@code rounds.metrics}); empty when null or not an object. */
    static ObjectNode object(String json) {
        if (json == null) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode n = JSON.readTree(json);
            return n instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /**
     * Ties the store to one recipe: the first run records the recipe's name and hash in {@code herd_meta}; a store
     * that holds another recipe's work, or work from outside any recipe, is refused before anything runs.
     */
    static void claim(Store s, Recipe recipe) {
        String[] have = meta(s);
        if (have == null) {
            long used = s.count("SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM imports) + (SELECT count(*) FROM eval_runs)");
            if (used > 0) {
                throw new HerdInputException(s.file() + ": this store holds work that no recipe made; give the recipe "
                        + "its own store (--db FILE)");
            }
            s.update("INSERT INTO herd_meta (key, value) VALUES ('recipe', ?), ('recipe_sha256', ?)", recipe.name(),
                    recipe.sha256());
            return;
        }
        if (!have[0].equals(recipe.name())) {
            throw new HerdInputException(s.file() + ": this store belongs to recipe '" + have[0] + "', not '"
                    + recipe.name() + "'; give this recipe its own store (--db FILE)");
        }
        if (!have[1].equals(recipe.sha256())) {
            throw new HerdInputException(s.file() + ": recipe '" + recipe.name() + "' has changed since this store was "
                    + "filled (" + recipe.source() + "); resuming would mix two configurations: use a new --db and --work, "
                    + "or restore the recipe");
        }
    }

    /** {name, sha256} of the recipe that filled the store, or null. */
    static String[] meta(Store s) {
        try (Statement st = s.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT key, value FROM herd_meta WHERE key IN ('recipe', 'recipe_sha256')")) {
            String name = null;
            String sha = null;
            while (rs.next()) {
                if (rs.getString(1).equals("recipe")) {
                    name = rs.getString(2);
                } else {
                    sha = rs.getString(2);
                }
            }
            return name == null ? null : new String[] {name, sha == null ? "" : sha};
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
