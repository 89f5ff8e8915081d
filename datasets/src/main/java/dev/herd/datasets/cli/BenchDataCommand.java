package dev.herd.datasets.cli;

import dev.herd.datasets.Exporter;
import dev.herd.datasets.Importer;
import dev.herd.datasets.Kind;
import dev.herd.datasets.Store;
import dev.herd.datasets.curate.Curator;
import dev.herd.datasets.curate.Dedup;
import dev.herd.datasets.curate.LshIndex;
import dev.herd.datasets.curate.MinHash;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Import, dedup and export speed of the store on synthetic short SFT rows, and MinHash near-dup speed. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Rows/s of import, dedup and export (JSONL, Parquet), and MinHash near-dup time.")
public final class BenchDataCommand implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "1000000", description = "Rows to import and export. Default: ${DEFAULT-VALUE}")
    int rows;

    @Option(names = "--minhash-docs", defaultValue = "100000", description = "Documents for near-dup. Default: ${DEFAULT-VALUE}")
    int docs;

    @Option(names = "--dir", description = "Work directory (default: a temporary one, deleted after).")
    Path dir;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("herd-bench-data");
        try {
            Random r = new Random(seed);
            Path in = work.resolve("rows.jsonl");
            try (BufferedWriter w = Files.newBufferedWriter(in)) {
                for (int i = 0; i < rows; i++) {
                    w.write("{\"messages\": [{\"role\": \"user\", \"content\": \"What is " + r.nextInt(1000) + " + "
                            + r.nextInt(1000) + "?\"}, {\"role\": \"assistant\", \"content\": \"" + sentence(r, 12)
                            + "\"}], \"topic\": \"t" + r.nextInt(10) + "\", \"score\": " + r.nextDouble() + "}\n");
                }
            }
            System.out.printf("%,d synthetic SFT rows (%,d bytes of JSONL)%n", rows, Files.size(in));
            try (Store store = Store.open(work.resolve("bench.duckdb"))) {
                long t0 = System.nanoTime();
                long n = new Importer(store).importFiles(Kind.SFT, List.of(in));
                report("import jsonl", n, t0);
                t0 = System.nanoTime();
                var out = Curator.run(store, List.of(new Dedup("response", false, 0.8, 3, 128, 0)));
                report("exact dedup (" + out.get(0).counts().get("exact") + " removed)", n, t0);
                t0 = System.nanoTime();
                long e = new Exporter(store).export(Kind.SFT, "jsonl", work.resolve("out.jsonl"), null);
                report("export jsonl", e, t0);
                t0 = System.nanoTime();
                e = new Exporter(store).export(Kind.SFT, "parquet", work.resolve("out.parquet"), null);
                report("export parquet", e, t0);
                try (Store again = Store.open(work.resolve("again.duckdb"))) {
                    t0 = System.nanoTime();
                    n = new Importer(again).importFiles(Kind.SFT, List.of(work.resolve("out.parquet")));
                    report("import parquet", n, t0);
                }
            }
            // Near-dup: documents of ~60 words, a tenth of them lightly edited copies of others.
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < docs; i++) {
                if (i > 0 && i % 10 == 0) {
                    String[] w = texts.get(r.nextInt(i)).split(" ");
                    w[r.nextInt(w.length)] = "edited";
                    texts.add(String.join(" ", w));
                } else {
                    texts.add(sentence(r, 60));
                }
            }
            long t0 = System.nanoTime();
            MinHash mh = new MinHash(128, 3, seed);
            List<long[]> sigs = new ArrayList<>(docs);
            for (String t : texts) {
                sigs.add(mh.signature(t));
            }
            int[] clusters = new LshIndex(128, 0.8).clusters(sigs);
            long distinct = java.util.Arrays.stream(clusters).distinct().count();
            System.out.printf("minhash near-dup: %,d documents in %.1f s (%,d clusters, %,d near duplicates)%n", docs,
                    (System.nanoTime() - t0) / 1e9, distinct, docs - distinct);
        } finally {
            if (dir == null) {
                dev.herd.llama.ModelFolder.deleteTree(work);
            }
        }
        return 0;
    }

    private static void report(String what, long n, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-34s %,10d rows in %6.2f s = %,10.0f rows/s%n", what, n, s, n / s);
    }

    private static String sentence(Random r, int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append("w").append(r.nextInt(20000));
        }
        return sb.toString();
    }

}
