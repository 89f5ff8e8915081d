package dev.herd.llama.train;

import dev.herd.common.Progress;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.Tensors;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsReader;
import dev.herd.llama.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoints in {@code <dir>/step-NNNNNNNN/}: {@code params.safetensors}, {@code optimizer.safetensors} and
 * {@code state.json} (step, metrics, settings). Each is written to a temporary folder and renamed, so the
 * newest complete checkpoint survives a crash (even {@code kill -9}) at any moment; the last {@code keep} are
 * kept. A re-run with the same command resumes from the newest; whether the run folder belongs to the same run
 * (same models, settings and data) is {@link RunFolder#start}'s check, made before training.
 */
final class DirectoryCheckpointing implements Checkpointing {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final TrainingConfig config;
    private final int keep;

    public DirectoryCheckpointing(Path dir, TrainingConfig config, int keep) {
        this.dir = dir;
        this.config = config;
        this.keep = Math.max(1, keep);
    }

    /** The newest complete checkpoint folder, if any. */
    public Optional<Path> latest() {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                    .filter(p -> Files.exists(p.resolve("state.json")))
                    .max(Path::compareTo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int resume(Map<String, NDArray> params, AdamW optimizer) {
        Optional<Path> latest = latest();
        if (latest.isEmpty()) {
            return 0;
        }
        Path ckpt = latest.get();
        JsonNode state;
        try {
            state = JSON.readTree(ckpt.resolve("state.json").toFile());
        } catch (IOException e) {
            throw new HerdInputException(ckpt.resolve("state.json") + ": unreadable checkpoint state: " + e.getMessage());
        }
        try (SafetensorsReader p = SafetensorsReader.open(ckpt.resolve("params.safetensors"));
             SafetensorsReader o = SafetensorsReader.open(ckpt.resolve("optimizer.safetensors"))) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                if (!p.tensors().containsKey(e.getKey())
                        || !Arrays.equals(p.info(e.getKey()).shape(), e.getValue().getShape().getShape())) {
                    throw new HerdInputException(ckpt + ": checkpoint does not match the model at tensor " + e.getKey());
                }
                Tensors.copyInto(e.getValue(), p.readFloats(e.getKey()));
            }
            Map<String, float[]> moments = new LinkedHashMap<>();
            for (String name : o.tensors().keySet()) {
                moments.put(name, o.readFloats(name));
            }
            optimizer.load(moments, state.path("step").asInt());
        }
        int step = state.path("step").asInt();
        Progress.log(String.format("resuming from %s (step %d)", ckpt, step));
        return step;
    }

    @Override
    public void save(int step, Map<String, NDArray> params, AdamW optimizer, Map<String, Double> metrics) {
        Path target = dir.resolve(String.format("step-%08d", step));
        ModelFolder.writeAtomically(target, tmp -> {
            SafetensorsWriter.write(tmp.resolve("params.safetensors"), entries(params), Map.of());
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), entries(optimizer.state()), Map.of());
            ObjectNode state = JSON.createObjectNode();
            state.put("step", step);
            state.set("metrics", JSON.valueToTree(metrics));
            state.set("config", JSON.valueToTree(config.toMap()));
            Files.writeString(tmp.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        });
        prune();
    }

    private static List<SafetensorsWriter.Entry> entries(Map<String, NDArray> arrays) {
        List<SafetensorsWriter.Entry> out = new ArrayList<>();
        arrays.forEach((name, a) -> out.add(new SafetensorsWriter.Entry(name, DType.F32, a.getShape().getShape(), a::toFloatArray)));
        return out;
    }

    private void prune() {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.filter(p -> p.getFileName().toString().matches("step-\\d{8}")).sorted().toList();
            for (int i = 0; i < all.size() - keep; i++) {
                if (ModelFolder.isHerdWritten(all.get(i))) {    // a step folder with a user's file in it stays
                    ModelFolder.deleteTree(all.get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
