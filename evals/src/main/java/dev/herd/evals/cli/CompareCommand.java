package dev.herd.evals.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.Store;
import dev.herd.evals.Confidence;
import dev.herd.evals.EvalResults;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herd eval compare}: two stored runs on the items they share, paired. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two stored eval runs item by item: difference B − A with a paired bootstrap 95%% CI "
                + "and McNemar's exact test for binary metrics.")
final class CompareCommand implements Callable<Integer> {

    @Option(names = "--db", required = true)
    Path db;

    @Parameters(index = "0", paramLabel = "RUN_A")
    long runA;

    @Parameters(index = "1", paramLabel = "RUN_B")
    long runB;

    @Option(names = "--bootstrap", defaultValue = "10000")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        try (Store store = Store.openExisting(db)) {
            EvalResults res = new EvalResults(store);
            List<String[]> metricsA = res.metrics(runA);
            List<String> inB = res.metrics(runB).stream().map(m -> m[0] + "\u0000" + m[1]).toList();
            ArrayNode arr = EvalCommand.JSON.createArrayNode();
            if (!json) {
                System.out.printf("%-22s %-20s %6s %8s %8s %8s  %-19s %10s  %s%n", "task", "metric", "n", "A", "B",
                        "B-A", "95% CI (paired)", "McNemar p", "verdict");
            }
            for (String[] tm : metricsA) {
                if (!inB.contains(tm[0] + "\u0000" + tm[1])) {
                    continue;
                }
                Map<String, Double> a = res.items(runA, tm[0], tm[1]);
                Map<String, Double> b = res.items(runB, tm[0], tm[1]);
                List<String> shared = new ArrayList<>(a.keySet());
                shared.retainAll(b.keySet());
                double[] va = shared.stream().mapToDouble(a::get).toArray();
                double[] vb = shared.stream().mapToDouble(b::get).toArray();
                Confidence.Comparison c = Confidence.paired(va, vb, bootstrap, seed);
                String verdict = c.significant() ? (c.diff() > 0 ? "B better" : "A better") : "no significant difference";
                if (json) {
                    ObjectNode o = arr.addObject();
                    o.put("task", tm[0]);
                    o.put("metric", tm[1]);
                    o.put("n", c.n());
                    o.put("a", c.meanA());
                    o.put("b", c.meanB());
                    o.put("diff", c.diff());
                    o.putArray("ci95").add(c.low()).add(c.high());
                    if (c.mcnemarP() != null) {
                        o.put("mcnemar_p", c.mcnemarP());
                    }
                    o.put("verdict", verdict);
                } else {
                    System.out.printf("%-22s %-20s %6d %8.4f %8.4f %+8.4f  [%+.4f, %+.4f] %10s  %s%n",
                            EvalCommand.shorten(tm[0]), tm[1], c.n(), c.meanA(), c.meanB(), c.diff(), c.low(), c.high(),
                            c.mcnemarP() == null ? "-" : String.format("%.4g", c.mcnemarP()), verdict);
                }
            }
            if (json) {
                System.out.println(arr);
            }
        }
        return 0;
    }
}
