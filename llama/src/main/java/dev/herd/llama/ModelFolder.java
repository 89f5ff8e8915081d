package dev.herd.llama;

import dev.herd.common.HerdInputException;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsWriter;
import dev.herd.llama.io.TensorInfo;
import dev.herd.llama.lora.AdapterFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Hugging Face model folder: {@code config.json}, safetensors weights (single or sharded),
 * {@code generation_config.json} and the tokenizer files. Loading checks every tensor against the config;
 * saving writes into a temporary sibling folder and renames it, so a crash never leaves half a model.
 */
public final class ModelFolder {

    /** Tokenizer files copied along with a model. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFolder() {}

    /**
     * Loads the decoder of {@code dir} onto {@code device}. A LoRA adapter folder loads as the base it names with
     * the adapter merged in, so a trainer's LoRA output can stand wherever a model folder can.
     */
    public static LlamaModel load(Path dir, Device device) {
        if (!Files.isDirectory(dir)) {
            throw new HerdInputException(dir + ": no such model folder");
        }
        if (AdapterFolder.isAdapter(dir)) {
            return AdapterFolder.loadMerged(dir, device);
        }
        LlamaConfig config = LlamaConfig.load(dir);
        checkTokenizerFits(dir, config);
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            return LlamaModel.fromTensors(config, (name, shape) -> {
                if (!files.has(name)) {
                    throw new HerdInputException(dir + ": checkpoint has no tensor " + name
                            + (name.equals("lm_head.weight") ? " (config.json says tie_word_embeddings=false)" : ""));
                }
                TensorInfo info = files.info(name);
                if (!Arrays.equals(info.shape(), shape)) {
                    throw new HerdInputException(files.fileOf(name) + ": tensor " + name + " has shape "
                            + info.shapeString() + " but config.json implies " + Arrays.toString(shape));
                }
                return files.readFloats(name);
            }, device);
        }
    }

    /** {@code dir}'s decoder with the LoRA adapter folder {@code adapter} merged in; {@code adapter} null: as {@link #load}. */
    public static LlamaModel load(Path dir, Path adapter, Device device) {
        return adapter == null ? load(dir, device) : AdapterFolder.loadMerged(dir, adapter, device);
    }

    /** The vocabulary size of {@code dir/tokenizer.json} (highest id + 1), or -1 when there is none. */
    public static int tokenizerVocabSize(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) {
            return -1;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        int max = -1;
        JsonNode vocab = root.path("model").path("vocab");
        for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
            max = Math.max(max, id.asInt());
        }
        for (JsonNode t : root.path("added_tokens")) {
            max = Math.max(max, t.path("id").asInt());
        }
        return max + 1;
    }

    private static void checkTokenizerFits(Path dir, LlamaConfig config) {
        int size = tokenizerVocabSize(dir);
        if (size > config.vocabSize()) {
            throw new HerdInputException(dir.resolve("tokenizer.json") + ": the tokenizer has " + size
                    + " tokens but config.json vocab_size is " + config.vocabSize());
        }
    }

    /**
     * Writes {@code model} as an HF folder at {@code dir} (replacing it), copying tokenizer files from
     * {@code tokenizerFrom} when given.
     */
    public static void save(LlamaModel model, Path dir, Path tokenizerFrom) {
        save(model, dir, tokenizerFrom, tmp -> {});
    }

    /** As {@link #save(LlamaModel, Path, Path)}, with {@code extra} adding files (a trainer's metrics) before the rename. */
    public static void save(LlamaModel model, Path dir, Path tokenizerFrom, FolderWriter extra) {
        save(model.config(), model.parameters(), dir, tokenizerFrom, DType.F32, extra);
    }

    /** Writes named fp32 arrays with {@code config} as an HF folder; see {@link #save(LlamaModel, Path, Path)}. */
    public static void save(LlamaConfig config, Map<String, NDArray> tensors, Path dir, Path tokenizerFrom, DType dtype) {
        save(config, tensors, dir, tokenizerFrom, dtype, tmp -> {});
    }

    private static void save(LlamaConfig config, Map<String, NDArray> tensors, Path dir, Path tokenizerFrom, DType dtype,
                             FolderWriter extra) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            entries.add(new SafetensorsWriter.Entry(e.getKey(), dtype, a.getShape().getShape(), a::toFloatArray));
        }
        writeAtomically(dir, tmp -> {
            Files.writeString(tmp.resolve(LlamaConfig.FILE_NAME), config.toJson());
            writeGenerationConfig(tmp, config);
            CheckpointFiles.write(tmp, entries, CheckpointFiles.DEFAULT_MAX_SHARD_BYTES);
            if (tokenizerFrom != null) {
                copyTokenizer(tokenizerFrom, tmp);
            }
            extra.write(tmp);
        });
    }

    /** Copies whichever tokenizer files exist in {@code from}. */
    public static void copyTokenizer(Path from, Path to) throws IOException {
        boolean any = false;
        for (String f : TOKENIZER_FILES) {
            Path src = from.resolve(f);
            if (Files.exists(src)) {
                Files.copy(src, to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                any = true;
            }
        }
        if (!any) {
            throw new HerdInputException(from + ": no tokenizer.json or tokenizer_config.json to copy");
        }
    }

    static void writeGenerationConfig(Path dir, LlamaConfig config) throws IOException {
        ObjectNode g = JSON.createObjectNode();
        if (config.bosTokenId() >= 0) {
            g.put("bos_token_id", config.bosTokenId());
        }
        if (config.eosTokenIds().size() == 1) {
            g.put("eos_token_id", config.eosTokenIds().get(0));
        } else if (!config.eosTokenIds().isEmpty()) {
            config.eosTokenIds().forEach(g.putArray("eos_token_id")::add);
        }
        g.put("do_sample", true);
        g.put("temperature", 0.6);
        g.put("top_p", 0.9);
        g.put("transformers_version", "4.45.0");
        Files.writeString(dir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(g) + "\n");
    }

    /** Something that fills a folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path tmp) throws IOException;
    }

    /**
     * Refuses, before any work starts, an output folder that Herd may not replace: a file, a link, or a folder
     * holding anything Herd did not write there (see {@link #writeAtomically}). A missing or empty folder is fine.
     */
    public static void checkReplaceable(Path dir) {
        Manifest.refusal(dir).ifPresent(why -> {
            throw new HerdInputException(dir + ": " + why + "; choose another --out or remove it");
        });
    }

    /** Whether {@code dir} is a folder Herd wrote and nothing else has been added to since. */
    public static boolean isHerdWritten(Path dir) {
        return Files.isRegularFile(dir.resolve(Manifest.FILE)) && Manifest.refusal(dir).isEmpty();
    }

    /**
     * A SHA-256 over what decides a model's behaviour: the names and contents of its config, weights and
     * tokenizer files. Moving or copying the folder keeps it; retraining into the same folder changes it.
     */
    public static String fingerprint(Path dir) {
        return Fingerprint.of(dir);
    }

    /**
     * Runs {@code writer} on a fresh temporary sibling of {@code dir}, records what it wrote in a manifest, then
     * renames it into place. A crash leaves at most a {@code .tmp-*} sibling, never a half-written {@code dir}.
     *
     * <p>An existing {@code dir} is replaced only when Herd wrote all of it (an empty folder too); anything else
     * is refused with {@link HerdInputException} before the writer runs, so user files are never deleted.
     */
    public static void writeAtomically(Path dir, FolderWriter writer) {
        checkReplaceable(dir);
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new HerdInputException(dir + ": cannot write a folder in place of the file system's root");
        }
        Path tmp = null;
        Path old = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, abs.getFileName() + ".tmp-");
            writer.write(tmp);
            Manifest.write(tmp);
            readableByOthers(tmp);
            checkReplaceable(dir);   // again: something may have been put there while the writer ran
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                old = Files.createTempDirectory(parent, abs.getFileName() + ".old-");
                Files.delete(old);
                move(abs, old);
            }
            move(tmp, abs);
            tmp = null;
            if (old != null) {
                deleteTree(old);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    /**
     * A temporary folder is created owner-only (0700); the model folder it becomes gets the usual 0755, as
     * {@code mkdir} under the common umask gives, so other users and services (a server) can read it.
     */
    private static void readableByOthers(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own defaults stand
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a folder and everything in it; quietly, since it is only ever cleanup. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
