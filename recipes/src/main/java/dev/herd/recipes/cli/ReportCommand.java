package dev.herd.recipes.cli;

import dev.herd.recipes.run.HtmlReport;
import dev.herd.recipes.run.RoundTable;
import dev.herd.datasets.Store;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"What a recipe's store says about each round: without options the per-round table (what each "
                + "mechanism did, every candidate's test-split score with its 95%% CI, each round's best against round 0); "
                + "--json the scores as {\"rounds\": [{round, stage, split, task, metric, score, n, ci95, best}], "
                + "\"gains\": [...], \"mechanisms\": [...]}; --out a self-contained HTML page with charts."})
final class ReportCommand implements Callable<Integer> {

    @Option(names = "--db", required = true, description = "The recipe's store.")
    Path db;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--out", description = "Write an HTML report (Chart.js inlined: opens offline).")
    Path out;

    @Override
    public Integer call() {
        try (Store store = Store.openExisting(db)) {
            if (out != null) {
                HtmlReport.write(store, out);
                System.out.println("wrote " + out);
            }
            if (json) {
                System.out.println(RoundTable.read(store).toJson().toPrettyString());
            } else if (out == null) {
                RoundTable.print(store, System.out);
            }
        }
        return 0;
    }
}
