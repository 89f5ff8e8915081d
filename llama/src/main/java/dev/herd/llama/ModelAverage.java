package dev.herd.llama;

import dev.herd.common.HerdInputException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsWriter;
import dev.herd.llama.lora.AdapterFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Llama 3's model averaging: the weighted mean of every tensor of several checkpoints of one architecture
 * (runs of a stage with other seeds, data or hyper-parameters). Works for any HF folder Herd writes — causal
 * LMs and reward models alike — one tensor at a time, so memory stays at a tensor per input. LoRA adapter folders
 * of one shape (same base, rank and targets) average too, factor by factor: the mean of each A and of each B.
 */
public final class ModelAverage {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelAverage() {}

    /**
     * Writes the average of {@code inputs} (weights normalised to sum 1) to {@code out}, with the first input's
     * config, dtypes and tokenizer. Refuses inputs whose configs or tensor sets differ, naming the first mismatch.
     */
    public static void average(List<Path> inputs, double[] weights, Path out) {
        ModelFolder.checkReplaceable(out);
        if (inputs.size() < 2) {
            throw new HerdInputException("averaging needs at least two models, got " + inputs.size());
        }
        if (weights.length != inputs.size()) {
            throw new HerdInputException(weights.length + " weights for " + inputs.size() + " models");
        }
        double total = 0;
        for (double w : weights) {
            if (!(w > 0) || !Double.isFinite(w)) {
                throw new HerdInputException("weights must be positive, got " + Arrays.toString(weights));
            }
            total += w;
        }
        boolean adapters = AdapterFolder.isAdapter(inputs.get(0));
        for (Path p : inputs) {
            if (AdapterFolder.isAdapter(p) != adapters) {
                throw new HerdInputException(p + ": " + (adapters ? "not a" : "a") + " LoRA adapter folder, unlike " + inputs.get(0)
                        + "; average adapters with adapters and models with models");
            }
        }
        JsonNode first = config(inputs.get(0));
        for (int i = 1; i < inputs.size(); i++) {
            String diff = firstDifference(first, config(inputs.get(i)), "");
            if (diff != null) {
                String file = adapters ? AdapterFolder.CONFIG : "config.json";
                throw new HerdInputException(inputs.get(i).resolve(file) + ": differs from "
                        + inputs.get(0).resolve(file) + " at " + diff);
            }
        }
        List<CheckpointFiles> files = new ArrayList<>();
        try {
            for (Path p : inputs) {
                files.add(adapters ? CheckpointFiles.openFile(p.resolve(AdapterFolder.WEIGHTS)) : CheckpointFiles.open(p));
            }
            Set<String> names = new TreeSet<>(files.get(0).names());
            for (int i = 1; i < files.size(); i++) {
                Set<String> other = new TreeSet<>(files.get(i).names());
                if (!other.equals(names)) {
                    Set<String> missing = new TreeSet<>(names);
                    missing.removeAll(other);
                    Set<String> extra = new TreeSet<>(other);
                    extra.removeAll(names);
                    throw new HerdInputException(inputs.get(i) + ": tensor set differs from " + inputs.get(0) + " ("
                            + (!missing.isEmpty() ? "no " + missing.iterator().next() : "extra " + extra.iterator().next()) + ")");
                }
                for (String n : names) {
                    if (!Arrays.equals(files.get(i).info(n).shape(), files.get(0).info(n).shape())) {
                        throw new HerdInputException(files.get(i).fileOf(n) + ": tensor " + n + " has shape "
                                + files.get(i).info(n).shapeString() + ", not " + files.get(0).info(n).shapeString());
                    }
                }
            }
            double[] w = new double[weights.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = weights[i] / total;
            }
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (String n : files.get(0).names()) {
                DType dtype = files.get(0).info(n).dtype();
                entries.add(new SafetensorsWriter.Entry(n, dtype.isSupportedFloat() ? dtype : DType.F32,
                        files.get(0).info(n).shape(), () -> mean(files, n, w)));
            }
            ModelFolder.writeAtomically(out, tmp -> {
                if (adapters) {
                    SafetensorsWriter.write(tmp.resolve(AdapterFolder.WEIGHTS), entries, java.util.Map.of());
                } else {
                    CheckpointFiles.write(tmp, entries, CheckpointFiles.DEFAULT_MAX_SHARD_BYTES);
                }
                try (var list = Files.list(inputs.get(0))) {
                    for (Path f : (Iterable<Path>) list::iterator) {
                        String name = f.getFileName().toString();
                        if (name.endsWith(".json") && !name.equals(CheckpointFiles.INDEX) || name.endsWith(".model")
                                || name.endsWith(".jinja")) {
                            Files.copy(f, tmp.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            });
        } finally {
            files.forEach(CheckpointFiles::close);
        }
    }

    private static float[] mean(List<CheckpointFiles> files, String name, double[] w) {
        float[] first = files.get(0).readFloats(name);
        double[] acc = new double[first.length];
        for (int j = 0; j < first.length; j++) {
            acc[j] = w[0] * first[j];
        }
        for (int i = 1; i < files.size(); i++) {
            float[] v = files.get(i).readFloats(name);
            for (int j = 0; j < v.length; j++) {
                acc[j] += w[i] * v[j];
            }
        }
        float[] out = new float[acc.length];
        for (int j = 0; j < acc.length; j++) {
            out[j] = (float) acc[j];
        }
        return out;
    }

    private static JsonNode config(Path dir) {
        if (AdapterFolder.isAdapter(dir)) {
            AdapterFolder.header(dir);                  // a bad adapter config is refused here, in one line
        }
        Path f = dir.resolve(AdapterFolder.isAdapter(dir) ? AdapterFolder.CONFIG : "config.json");
        if (!Files.exists(f)) {
            throw new HerdInputException(dir + ": no config.json (not a model folder)");
        }
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new HerdInputException(f + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
    }

    /** The first key path where two configs differ (dtype and version stamps aside), or null. */
    static String firstDifference(JsonNode a, JsonNode b, String at) {
        if (a.isObject() && b.isObject()) {
            Set<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (at.isEmpty() && (k.equals("torch_dtype") || k.equals("transformers_version") || k.equals("_name_or_path")
                        || k.equals("lora_dropout"))) {
                    continue;
                }
                JsonNode x = a.get(k);
                JsonNode y = b.get(k);
                if (x == null || y == null) {
                    return at + k + " (" + (x == null ? "missing" : x) + " vs " + (y == null ? "missing" : y) + ")";
                }
                String d = firstDifference(x, y, at + k + ".");
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble() ? null : at.replaceAll("\\.$", "") + " (" + a + " vs " + b + ")";
        }
        return a.equals(b) ? null : at.replaceAll("\\.$", "") + " (" + a + " vs " + b + ")";
    }
}
