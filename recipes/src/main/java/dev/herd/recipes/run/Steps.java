package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.RunRow;
import dev.herd.datasets.Store;
import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * The resumable steps of a recipe: each step runs once; a step found done in the {@link Ledger} is skipped and
 * its recorded outcome returned, so running a recipe again after a crash or a {@code kill -9} continues where
 * it stopped.
 */
final class Steps {

    /** The result of a step: what it made and what it measured. */
    record Outcome(String output, ObjectNode metrics) {}

    interface Work {
        Outcome run() throws Exception;
    }

    /** What a step writes to the store: runs in the transaction that marks the step done. */
    interface Rows {
        Outcome write(Store s);
    }

    private final Ledger ledger;
    private final PrintStream out;

    Steps(Ledger ledger, PrintStream out) {
        this.ledger = ledger;
        this.out = out;
    }

    Ledger ledger() {
        return ledger;
    }

    PrintStream out() {
        return out;
    }

    /** Runs {@code work} as a resumable step unless it is done; returns its (possibly earlier) outcome. */
    Outcome step(int round, String stage, String name, JsonNode config, Work work, String what) {
        return storing(round, stage, name, config, () -> {
            Outcome o = work.run();
            return s -> o;
        }, what);
    }

    /**
     * A resumable step whose {@code work} (outside any transaction: training, generation) returns the rows to
     * write; they commit together with the step's end, so a kill leaves both or neither and a rerun never
     * stores them twice.
     */
    Outcome storing(int round, String stage, String name, JsonNode config, Callable<Rows> work, String what) {
        RunRow done = ledger.done(round, stage, name);
        String label = round == 0 && stage.equals("setup") ? "[setup] " + name
                : "[round " + round + "] " + stage + (name.equals("train") ? "" : " " + name);
        if (done != null) {
            out.printf("%s: done before, skipped%n", label);
            return new Outcome(done.output(), Ledger.metrics(done));
        }
        out.printf("%s%n", what);
        long t0 = System.nanoTime();
        long id = ledger.begin(round, stage, name, config);
        Outcome o;
        try {
            Rows rows = work.call();
            o = ledger.with(s -> s.inTransaction(() -> {
                Outcome written = rows.write(s);
                Ledger.finish(s, id, written.output(), written.metrics());
                return written;
            }));
        } catch (RuntimeException e) {
            ledger.fail(id, String.valueOf(e.getMessage()));
            throw e;
        } catch (Exception e) {
            ledger.fail(id, String.valueOf(e.getMessage()));
            throw new IllegalStateException(e);
        }
        out.printf("  %s done in %s%s%n", stage, RoundTable.duration((System.nanoTime() - t0) / 1e9), summary(o.metrics()));
        return o;
    }

    private static String summary(ObjectNode m) {
        if (m == null || m.isEmpty()) {
            return "";
        }
        if (m.has("scores")) {
            return ": " + RoundTable.describe(m);
        }
        StringBuilder sb = new StringBuilder(":");
        m.fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) {
                sb.append(' ').append(e.getKey()).append(' ').append(e.getValue().isIntegralNumber()
                        ? String.valueOf(e.getValue().asLong()) : String.format("%.4f", e.getValue().asDouble()));
            }
        });
        return sb.length() == 1 ? "" : sb.toString();
    }
}
