package dev.herd.datasets.cli;

import dev.herd.datasets.Exporter;
import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.Stats;
import dev.herd.datasets.Store;
import dev.herd.datasets.curate.Curator;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code herd data …}: the project's DuckDB store of prompts, samples, preferences and SFT data. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "The DuckDB store of prompts, samples, scores, preferences, SFT data and runs.",
        subcommands = {DataCommand.Sql.class, DataCommand.Import.class, DataCommand.Export.class,
            DataCommand.StatsCmd.class, DataCommand.Curate.class})
public final class DataCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "sql", mixinStandardHelpOptions = true,
            description = "Run a SQL statement: a query prints its rows, an UPDATE/DELETE how many it changed.")
    static final class Sql implements Callable<Integer> {
        @Option(names = "--db", required = true, paramLabel = "FILE", description = "Store file (DuckDB).")
        Path db;

        @Option(names = "--json", description = "Print a JSON list of row objects instead of a table.")
        boolean json;

        @Parameters(paramLabel = "SQL", description = "The query, e.g. \"SELECT origin, count(*) FROM sft GROUP BY 1\".")
        String sql;

        @Override
        public Integer call() {
            try (Store store = Store.openExisting(db)) {
                TablePrinter.print(store, sql, json, System.out);
            }
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import JSONL (.jsonl, .jsonl.gz) or Parquet files in Hugging Face column layouts; all or nothing.")
    static final class Import implements Callable<Integer> {
        /** Files this big get a progress bar. */
        private static final long PROGRESS_BYTES = 32L << 20;
        private static final int MAX_SKIPPED_SHOWN = 20;

        @Option(names = "--db", required = true, paramLabel = "FILE", description = "Store file (created if missing).")
        Path db;

        @Option(names = "--kind", required = true, paramLabel = "KIND", description = "sft (messages | prompt+completion), "
                + "preference (prompt?, chosen, rejected, edited?, strength?) or prompts (prompt | messages | question, answer?, verifier?).")
        String kind;

        @Option(names = "--skip-invalid", description = "Skip malformed records (listed on stderr) instead of stopping.")
        boolean skipInvalid;

        @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files to import, in one transaction.")
        List<Path> files;

        @Override
        public Integer call() {
            Kind k = Kind.parse(kind);
            try (Store store = Store.open(db)) {
                Importer importer = new Importer(store, skipInvalid).withProgress(PROGRESS_BYTES);
                long n = importer.importFiles(k, files);
                List<String> skipped = importer.skipped();
                for (String s : skipped.subList(0, Math.min(skipped.size(), MAX_SKIPPED_SHOWN))) {
                    System.err.println("skipped " + s);
                }
                if (skipped.size() > MAX_SKIPPED_SHOWN) {
                    System.err.printf("... and %,d more skipped%n", skipped.size() - MAX_SKIPPED_SHOWN);
                }
                System.out.printf("imported %,d %s rows into %s%s%n", n, k.table, db,
                        importer.skipped().isEmpty() ? "" : String.format(" (%,d skipped)", importer.skipped().size()));
                importer.notes().forEach((what, count) -> System.out.printf("  %,d %s%n", count, what));
            }
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Export rows in Hugging Face column layouts.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--db", required = true, paramLabel = "FILE", description = "Store file (DuckDB).")
        Path db;

        @Option(names = "--kind", required = true, paramLabel = "KIND", description = "sft, preference or prompts")
        String kind;

        @Option(names = "--format", defaultValue = "jsonl", paramLabel = "FORMAT", description = "jsonl or parquet. Default: ${DEFAULT-VALUE}")
        String format;

        @Option(names = "--out", required = true, paramLabel = "PATH", description = "File to write (replaced whole).")
        Path out;

        @Option(names = "--where", paramLabel = "SQL", description = "SQL condition on the table's columns, e.g. \"round = 2\".")
        String where;

        @Override
        public Integer call() {
            try (Store store = Store.openExisting(db)) {
                long n = new Exporter(store).export(Kind.parse(kind), format, out, where);
                System.out.printf("exported %,d rows to %s%n", n, out);
            }
            return 0;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Counts per table, round, source, tag and strength; length distributions.")
    static final class StatsCmd implements Callable<Integer> {
        @Option(names = "--db", required = true, paramLabel = "FILE", description = "Store file (DuckDB).")
        Path db;

        @Option(names = "--json", description = "One JSON object: {section title: [row objects]}.")
        boolean json;

        @Override
        public Integer call() {
            try (Store store = Store.openExisting(db)) {
                var all = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
                for (Stats.Section s : Stats.sections()) {
                    if (json) {
                        all.set(s.title(), TablePrinter.json(store, s.sql()));
                    } else {
                        System.out.println("== " + s.title());
                        TablePrinter.print(store, s.sql(), false, System.out);
                        System.out.println();
                    }
                }
                if (json) {
                    System.out.println(all);
                }
            }
            return 0;
        }
    }

    @Command(name = "curate", mixinStandardHelpOptions = true,
            description = "Run the configured curation steps in order (dedup, rules, quality, difficulty, mix, preferences).")
    static final class Curate implements Callable<Integer> {
        @Option(names = "--db", required = true, paramLabel = "FILE", description = "Store file (DuckDB).")
        Path db;

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "JSON: {\"where\": SQL?, \"steps\": [{\"step\": \"dedup\", ...}, ...]}")
        Path config;

        @Option(names = "--dry-run", description = "Report what each step would remove and change nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            var steps = Curator.parse(config);
            try (Store store = Store.openExisting(db)) {
                var outcomes = dryRun ? Curator.preview(store, steps) : Curator.run(store, steps);
                for (Curator.Outcome o : outcomes) {
                    StringBuilder line = new StringBuilder(String.format("%-12s", o.step()));
                    o.counts().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
                    System.out.println(line);
                }
                if (dryRun) {
                    System.out.println("(dry run: nothing changed)");
                }
            }
            return 0;
        }
    }
}
