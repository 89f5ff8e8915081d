package dev.herd.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.train.MemoryPlan;
import dev.herd.common.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reference-model log-probs, computed once before training without gradients and kept in a cache file next
 * to the run, so the reference model is closed before the policy trains (half the memory) and a resumed run
 * need not recompute them. The cache is keyed by a content hash of the reference checkpoint: point
 * {@code --ref} at a changed checkpoint and the values are recomputed.
 */
final class ReferenceLogProbs {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Queries per attention block in this pass without gradients: rows up to this long attend as in training;
     * longer ones never hold their [heads, T, T] scores (4 rows of 2,048 tokens, hidden 64: 0.5 GB peak instead
     * of 2.1 GB, as fast).
     */
    static final int QUERY_BLOCK = 256;

    private ReferenceLogProbs() {}

    /**
     * {@code examples} with their reference log-probs filled in: from {@code cacheFile} where it holds values for
     * this reference checkpoint, else computed with the reference model (then written back to the cache, if any),
     * in forwards of at most {@code batchSize} sequences that fit the memory budget ({@link MemoryPlan#budget()}).
     */
    public static List<DpoExample> attach(Path refDir, List<DpoExample> examples, Path cacheFile, int batchSize, Device device) {
        return attach(refDir, examples, cacheFile, batchSize, device, MemoryPlan.budget());
    }

    /** As {@link #attach(Path, List, Path, int, Device)}, within {@code budget} bytes. */
    static List<DpoExample> attach(Path refDir, List<DpoExample> examples, Path cacheFile, int batchSize, Device device,
                                   long budget) {
        return attach(refDir, examples, cacheFile, batchSize, () -> ModelFolder.load(refDir, device), true, budget);
    }

    /**
     * As {@link #attach(Path, List, Path, int, Device)} with LoRA: the reference is {@code policy}, the already loaded
     * model of {@code refDir}, with its adapters disabled, so no second copy of the model is loaded.
     */
    public static List<DpoExample> attachWithoutAdapters(Path refDir, List<DpoExample> examples, Path cacheFile, int batchSize,
                                                         LlamaModel policy) {
        return attach(refDir, examples, cacheFile, batchSize, () -> policy, false, MemoryPlan.budget());
    }

    private static List<DpoExample> attach(Path refDir, List<DpoExample> examples, Path cacheFile, int batchSize,
                                           Supplier<LlamaModel> open, boolean owned, long budget) {
        String fp = ModelFolder.fingerprint(refDir);
        Map<String, Double> cache = cacheFile == null ? new LinkedHashMap<>() : read(cacheFile, fp);
        List<ScoredSequence> missing = new ArrayList<>();
        for (DpoExample e : examples) {
            for (ScoredSequence s : List.of(e.chosen(), e.rejected())) {
                if (!cache.containsKey(s.digest())) {
                    missing.add(s);
                }
            }
        }
        if (!missing.isEmpty()) {
            LlamaModel ref = open.get();
            try {
                List<List<ScoredSequence>> forwards = forwards(missing, batchSize, ref.config(), budget);
                if (forwards.size() > (missing.size() + batchSize - 1) / batchSize) {
                    Progress.log(String.format("memory plan: reference log-probs of %d sequences as %d forwards (batch size "
                            + "%d, within the budget of %.1f GB)", missing.size(), forwards.size(), batchSize, budget / 1e9));
                }
                try (Progress progress = Progress.of("reference log-probs", missing.size())) {
                    int done = 0;
                    for (List<ScoredSequence> batch : forwards) {
                        try (NDManager m = ref.newStepManager()) {
                            float[] v = ref.withoutAdapters(() -> DpoObjective.sequenceLogProbs(ref, batch, m,
                                    KvCache.blockwise(QUERY_BLOCK)).toFloatArray());                 // [batch]
                            for (int j = 0; j < batch.size(); j++) {
                                cache.put(batch.get(j).digest(), (double) v[j]);
                            }
                        }
                        done += batch.size();
                        progress.stepTo(done);
                    }
                }
            } finally {
                if (owned) {
                    ref.close();
                }
            }
            if (cacheFile != null) {
                write(cacheFile, refDir, fp, cache);
            }
        }
        List<DpoExample> out = new ArrayList<>();
        for (DpoExample e : examples) {
            out.add(e.withReference(cache.get(e.chosen().digest()), cache.get(e.rejected().digest())));
        }
        return out;
    }

    /**
     * The sequences in forwards of at most {@code batchSize}, longest first (batches of similar lengths waste less on
     * padding), each as many rows as {@link MemoryPlan} lets rows of its longest sequence's length hold. The plan is
     * the training estimate, an upper bound for this pass without gradients.
     *
     * @throws dev.herd.common.HerdInputException when not even the longest sequence fits the budget
     */
    static List<List<ScoredSequence>> forwards(List<ScoredSequence> seqs, int batchSize, LlamaConfig config, long budget) {
        List<ScoredSequence> sorted = new ArrayList<>(seqs);
        sorted.sort((a, b) -> Integer.compare(b.length(), a.length()));
        List<List<ScoredSequence>> out = new ArrayList<>();
        for (int i = 0; i < sorted.size(); ) {
            int rows = MemoryPlan.of(config, sorted.get(i).length(), batchSize, 1, budget).examplesPerForward();
            int end = Math.min(sorted.size(), i + rows);
            out.add(sorted.subList(i, end));
            i = end;
        }
        return out;
    }

    private static Map<String, Double> read(Path file, String fingerprint) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!fingerprint.equals(n.path("fingerprint").asText())) {
                System.err.println("reference checkpoint changed since " + file + " was written: recomputing its log-probs");
                return out;
            }
            n.path("logps").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        } catch (IOException e) {
            System.err.println(file + ": unreadable (" + e.getMessage() + "), recomputing reference log-probs");
        }
        return out;
    }

    private static void write(Path file, Path refDir, String fingerprint, Map<String, Double> values) {
        ObjectNode n = JSON.createObjectNode();
        n.put("reference", refDir.toAbsolutePath().toString());
        n.put("fingerprint", fingerprint);
        ObjectNode logps = n.putObject("logps");
        values.forEach(logps::put);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), n);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
