package dev.herd.llama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model folder: {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor → shard file).
 */
public final class CheckpointFiles implements AutoCloseable {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** HF's {@code save_pretrained} default {@code max_shard_size="5GB"}. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, SafetensorsReader> byTensor;
    private final List<SafetensorsReader> readers;

    private CheckpointFiles(Map<String, SafetensorsReader> byTensor, List<SafetensorsReader> readers) {
        this.byTensor = byTensor;
        this.readers = readers;
    }

    public static boolean present(Path dir) {
        return Files.exists(dir.resolve(SINGLE)) || Files.exists(dir.resolve(INDEX));
    }

    public static CheckpointFiles open(Path dir) {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        List<SafetensorsReader> readers = new ArrayList<>();
        Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
        try {
            if (Files.exists(index)) {
                JsonNode root;
                try {
                    root = JSON.readTree(index.toFile());
                } catch (IOException e) {
                    throw new HerdInputException(index + ": not valid JSON: " + e.getMessage().split("\n")[0]);
                }
                JsonNode map = root == null ? null : root.get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new HerdInputException(index + ": missing key 'weight_map'");
                }
                Map<String, SafetensorsReader> shards = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = map.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText();
                    SafetensorsReader r = shards.get(shard);
                    if (r == null) {
                        Path p = dir.resolve(shard);
                        if (!Files.exists(p)) {
                            throw new HerdInputException(index + ": shard " + shard + " (of tensor " + e.getKey() + ") is missing");
                        }
                        r = SafetensorsReader.open(p);
                        readers.add(r);
                        shards.put(shard, r);
                    }
                    if (!r.tensors().containsKey(e.getKey())) {
                        throw new HerdInputException(index + ": tensor " + e.getKey() + " is listed in shard " + shard
                                + " but that file does not hold it");
                    }
                    byTensor.put(e.getKey(), r);
                }
            } else if (Files.exists(single)) {
                SafetensorsReader r = SafetensorsReader.open(single);
                readers.add(r);
                r.tensors().keySet().forEach(n -> byTensor.put(n, r));
            } else {
                throw new HerdInputException(dir + ": no " + SINGLE + " or " + INDEX);
            }
        } catch (RuntimeException e) {
            readers.forEach(SafetensorsReader::close);
            throw e;
        }
        return new CheckpointFiles(byTensor, readers);
    }

    /** The tensors of one safetensors file (a LoRA adapter's {@code adapter_model.safetensors}). */
    public static CheckpointFiles openFile(Path file) {
        SafetensorsReader r = SafetensorsReader.open(file);
        Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
        r.tensors().keySet().forEach(n -> byTensor.put(n, r));
        return new CheckpointFiles(byTensor, List.of(r));
    }

    public Set<String> names() {
        return byTensor.keySet();
    }

    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        return reader(name).info(name);
    }

    /** The file holding {@code name}, for error messages. */
    public Path fileOf(String name) {
        return reader(name).file();
    }

    public float[] readFloats(String name) {
        return reader(name).readFloats(name);
    }

    private SafetensorsReader reader(String name) {
        SafetensorsReader r = byTensor.get(name);
        if (r == null) {
            throw new HerdInputException("checkpoint has no tensor " + name);
        }
        return r;
    }

    /**
     * Writes {@code entries} into {@code dir} as HF's {@code save_pretrained} does: one {@code model.safetensors}
     * when it fits in {@code maxShardBytes}, else {@code model-0000i-of-0000n.safetensors} shards and the index.
     */
    public static void write(Path dir, List<SafetensorsWriter.Entry> entries, long maxShardBytes) throws IOException {
        List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
        List<SafetensorsWriter.Entry> current = new ArrayList<>();
        long size = 0;
        for (SafetensorsWriter.Entry e : entries) {
            long bytes = e.byteSize();
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e);
            size += bytes;
        }
        shards.add(current);
        if (shards.size() == 1) {
            SafetensorsWriter.write(dir.resolve(SINGLE), shards.get(0), Map.of());
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", SafetensorsWriter.dataSize(entries));
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsWriter.write(dir.resolve(name), shards.get(i), Map.of());
            for (SafetensorsWriter.Entry e : shards.get(i)) {
                weightMap.put(e.name(), name);
            }
        }
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.writeString(dir.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
    }

    @Override
    public void close() {
        readers.forEach(SafetensorsReader::close);
    }
}
